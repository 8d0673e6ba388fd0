/**
 * One client-streaming `Stream` call to a peer, seen as a small state machine
 * the peer sender polls after each wake-up:
 *
 *   opening ──(peer sent response headers)──▶ open ──(status/error)──▶ closed
 *      └──────────(status/error/connect timeout)──────────────────────▶ closed
 *
 * The receiver sends response headers as soon as it accepted the caller, so
 * "open" means the peer is up and trusts us. Every state change and every
 * completed write calls `onChange` (the sender's wake-up).
 *
 * At most one write is in flight: write() may be called only when
 * `canWrite`. The write callback of grpc-js fires once HTTP/2 took the data,
 * which is held back while the peer's flow-control window is exhausted — so a
 * stalled peer stalls this one write and everything else waits in the bounded
 * queue, where it can be coalesced or dropped.
 */
import type * as grpc from '@grpc/grpc-js';
import { assert } from '../core/errors.js';
import type { StreamAck } from '../../gen/edgernetes/raft/v1/raft.js';
import { STREAM_PATH, decodeStreamAck, identityBytes } from './grpc-service.js';

export type OutboundCallState = 'opening' | 'open' | 'closed';

export class OutboundCall {
  private currentState: OutboundCallState = 'opening';
  private writeInFlight = false;
  /** Why the call closed: a gRPC status error, a connect timeout, or null for a clean end. */
  closeReason: Error | null = null;
  private readonly call: grpc.ClientWritableStream<Buffer>;
  private readonly connectTimer: NodeJS.Timeout;

  constructor(
    client: grpc.Client,
    metadata: grpc.Metadata,
    connectTimeoutMs: number,
    private readonly onChange: () => void,
  ) {
    this.call = client.makeClientStreamRequest<Buffer, StreamAck>(
      STREAM_PATH,
      identityBytes,
      decodeStreamAck,
      metadata,
      {},
      (error) => this.close(error ?? null),
    );
    this.call.on('metadata', () => this.opened());
    this.connectTimer = setTimeout(() => this.timeOut(connectTimeoutMs), connectTimeoutMs);
  }

  get state(): OutboundCallState {
    return this.currentState;
  }

  get canWrite(): boolean {
    return this.currentState === 'open' && !this.writeInFlight;
  }

  get writing(): boolean {
    return this.writeInFlight;
  }

  write(frame: Buffer): void {
    assert(this.canWrite, 'write only on an open call with no write in flight');
    this.writeInFlight = true;
    this.call.write(frame, () => {
      this.writeInFlight = false;
      this.onChange();
    });
  }

  /** Half-closes: the peer sees a clean end after everything written. */
  end(): void {
    if (this.currentState !== 'closed') this.call.end();
  }

  /** Abandons the call at once (RST_STREAM); idempotent. */
  cancel(): void {
    clearTimeout(this.connectTimer);
    if (this.currentState === 'closed') return;
    this.call.cancel();
    this.close(null);
  }

  private opened(): void {
    clearTimeout(this.connectTimer);
    if (this.currentState !== 'opening') return;
    this.currentState = 'open';
    this.onChange();
  }

  private timeOut(connectTimeoutMs: number): void {
    if (this.currentState !== 'opening') return;
    this.call.cancel();
    this.close(new Error(`peer did not accept the stream within ${connectTimeoutMs} ms`));
  }

  private close(reason: Error | null): void {
    clearTimeout(this.connectTimer);
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.closeReason = reason;
    this.writeInFlight = false;
    this.onChange();
  }
}
