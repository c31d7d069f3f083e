/**
 * Loads the fleet's .proto contracts from the repository's proto/ folder with
 * the same options the type generator uses (scripts/gen-proto.js), so the
 * runtime objects match the generated types in shared/src/gen.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** proto/ at the repository root: three levels up from shared/src/grpc and from shared/dist/grpc. */
export const PROTO_ROOT = path.resolve(__dirname, '..', '..', '..', 'proto');

/** Must match the flags of proto-loader-gen-types in scripts/gen-proto.js. */
export const PROTO_LOADER_OPTIONS: Readonly<protoLoader.Options> = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

export interface LoadProtoOptions {
  /** Where the proto tree lives; default PROTO_ROOT (override with CTE_PROTO_ROOT for unusual layouts). */
  protoRoot?: string;
}

/**
 * Loads `relativeFile` (for example `cte/market/v1/market.proto`) and returns
 * its gRPC object. `T` is not checked: pass the generated `ProtoGrpcType` of
 * that file, e.g. `loadProto<ProtoGrpcType>('cte/market/v1/market.proto')`.
 */
export function loadProto<T extends object = grpc.GrpcObject>(relativeFile: string, opts: LoadProtoOptions = {}): T {
  const root = opts.protoRoot ?? process.env.CTE_PROTO_ROOT ?? PROTO_ROOT;
  const file = path.join(root, relativeFile);
  if (!fs.existsSync(file)) throw new Error(`proto file not found: ${file}`);
  const definition = protoLoader.loadSync(relativeFile, { ...PROTO_LOADER_OPTIONS, includeDirs: [root] });
  return grpc.loadPackageDefinition(definition) as unknown as T;
}
