/**
 * A gRPC echo service with one unary and one bidi-streaming method, raw bytes
 * in and out (no protobuf), for measuring grpc-js's own cost per call
 * (bench/grpc.ts). Run as a process, it serves on 127.0.0.1:<port> and prints
 * "listening <port>".
 */
import * as grpc from '@grpc/grpc-js';

const passBytes = (b: Buffer): Buffer => b;

export const ECHO_SERVICE = {
  unary: {
    path: '/bench.Echo/Unary',
    requestStream: false,
    responseStream: false,
    requestSerialize: passBytes,
    requestDeserialize: passBytes,
    responseSerialize: passBytes,
    responseDeserialize: passBytes,
  },
  stream: {
    path: '/bench.Echo/Stream',
    requestStream: true,
    responseStream: true,
    requestSerialize: passBytes,
    requestDeserialize: passBytes,
    responseSerialize: passBytes,
    responseDeserialize: passBytes,
  },
} satisfies grpc.ServiceDefinition;

/** Answer size: about a KV put's answer (header and revisions). */
export const ANSWER_BYTES = 32;

/** Channel and server options as the product's (src/client/endpoints.ts, src/raft/transport/grpc-service.ts). */
export const ECHO_GRPC_OPTIONS = { 'grpc.enable_channelz': 0 } as const;

function serve(): void {
  const server = new grpc.Server(ECHO_GRPC_OPTIONS);
  server.addService(ECHO_SERVICE, {
    unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
      callback(null, call.request.subarray(0, ANSWER_BYTES)),
    stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (message: Buffer) => call.write(message.subarray(0, ANSWER_BYTES)));
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    console.log(`listening ${port}`);
  });
}

if (process.argv[2] === 'serve') serve();
