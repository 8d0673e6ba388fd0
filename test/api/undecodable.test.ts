// Goal: register() hands handlers only decoded requests: undecodable bytes get INVALID_ARGUMENT
// naming the method and the decoder's reason (unary and server-streaming) without the handler
// running, decodable ones reach it unchanged, and a method without a handler stays UNIMPLEMENTED.
// Method: a grpc-js server on 127.0.0.1 with the Health service registered through register()
// with only `check` implemented; a raw client sends bytes.
import { Client, credentials, Metadata, Server, ServerCredentials, status as Code, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthCheckRequest, HealthCheckResponse, HealthService, HealthCheckResponse_ServingStatus as Serving } from '../../src/gen/grpc/health/v1/health.js';
import { register } from '../../src/api/undecodable.js';

const passthrough = (b: Buffer) => b;

describe('register (undecodable requests)', () => {
  let server: Server;
  let client: Client;
  let handled: string[];

  beforeEach(async () => {
    handled = [];
    server = new Server();
    register(server, HealthService, {
      check: (call: { request: HealthCheckRequest }, callback: (err: null, res: HealthCheckResponse) => void) => {
        handled.push(call.request.service);
        callback(null, { status: Serving.SERVING });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  afterEach(() => {
    client.close();
    server.forceShutdown();
  });

  const unary = (path: string, bytes: Buffer) =>
    new Promise<{ code: number; details: string; body: Buffer | null }>((resolve) =>
      client.makeUnaryRequest(path, passthrough, passthrough, bytes, new Metadata(), { deadline: Date.now() + 3_000 }, (err: ServiceError | null, body?: Buffer) =>
        resolve(err === null ? { code: Code.OK, details: '', body: body ?? null } : { code: err.code, details: err.details, body: null }),
      ),
    );

  it('answers undecodable bytes INVALID_ARGUMENT without running the handler, and decodable ones through it', async () => {
    const bad = await unary(HealthService.check.path, Buffer.from([0x0a, 0x09])); // a 9-byte string with no bytes
    expect(bad.code).toBe(Code.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/^\/grpc\.health\.v1\.Health\/Check: the request is not a valid protobuf message for this method \(.+\)$/);
    expect(handled).toEqual([]);
    const good = await unary(HealthService.check.path, Buffer.from(HealthCheckRequest.encode({ service: 'x' }).finish()));
    expect(good.code).toBe(Code.OK);
    expect(HealthCheckResponse.decode(good.body!).status).toBe(Serving.SERVING);
    expect(handled).toEqual(['x']);
  });

  it('leaves a method without a handler UNIMPLEMENTED', async () => {
    const call = client.makeServerStreamRequest(HealthService.watch.path, passthrough, passthrough, Buffer.alloc(0), new Metadata(), {
      deadline: Date.now() + 3_000,
    });
    const code = await new Promise<number>((resolve) => {
      call.on('error', (err: ServiceError) => resolve(err.code));
      call.on('end', () => resolve(Code.OK));
      call.on('data', () => undefined);
    });
    expect(code).toBe(Code.UNIMPLEMENTED);
  });
});
