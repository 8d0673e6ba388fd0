// Goal: stripping etcd's .proto files removes exactly what cannot be loaded without
// gogoproto / google.api (their imports and every custom option, block-valued or
// scalar, statement or field-level) and keeps every message, field and rpc.
// Method: a synthetic file in etcd's style, stripped, then parsed by proto-loader.
import * as protoLoader from '@grpc/proto-loader';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripProto } from '../../bench/lib/etcd-proto.js';

const PACKAGE_FILES = ['/usr/share/gocode/src/go.etcd.io/etcd/mvcc/mvccpb/kv.proto'];

const SOURCE = `syntax = "proto3";
package etcdserverpb;

import "gogoproto/gogo.proto";
import "etcd/mvcc/mvccpb/kv.proto";
// for grpc-gateway
import "google/api/annotations.proto";

option (gogoproto.marshaler_all) = true;

service KV {
  // Put puts a key. option (fake) = "in a comment";
  rpc Put(PutRequest) returns (PutResponse) {
      option (google.api.http) = {
        post: "/v3/kv/put"
        body: "*"
        additional_bindings { get: "/v3/kv/{key}" }
    };
  }
}

message PutRequest {
  bytes key = 1 [(gogoproto.customname) = "Key"];
  bytes value = 2 [deprecated = true, (gogoproto.nullable) = false];
  int64 lease = 3;
}

message PutResponse {
  int64 revision = 1;
}
`;

describe('stripProto', () => {
  it('drops unprovided imports and custom options, keeps the rest', () => {
    const { text, imports } = stripProto(SOURCE, PACKAGE_FILES);
    expect(imports).toEqual(['etcd/mvcc/mvccpb/kv.proto']);
    expect(text).not.toMatch(/gogoproto|google\.api|additional_bindings|\/\//);
    expect(text).toContain('import "etcd/mvcc/mvccpb/kv.proto";');
    expect(text).toContain('bytes key = 1;');
    expect(text).toContain('bytes value = 2 [deprecated = true];');
    expect(text).toMatch(/rpc Put\(PutRequest\) returns \(PutResponse\) \{\s*\}/);
  });

  it('leaves a file that proto-loader parses with every field and method', () => {
    const { text } = stripProto(SOURCE, []); // kv.proto not provided: its import is dropped too
    const dir = mkdtempSync(join(tmpdir(), 'edg-proto-test-'));
    try {
      mkdirSync(join(dir, 'etcdserverpb'));
      writeFileSync(join(dir, 'etcdserverpb', 'rpc.proto'), text);
      const def = protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [dir], keepCase: true });
      const put = (def['etcdserverpb.KV'] as protoLoader.ServiceDefinition).Put!;
      expect(put.path).toBe('/etcdserverpb.KV/Put');
      const request = put.requestType.type as { field: Array<{ name: string }> };
      expect(request.field.map((f) => f.name)).toEqual(['key', 'value', 'lease']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
