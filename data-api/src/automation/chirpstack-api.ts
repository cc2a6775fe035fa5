// ChirpStack v4 API through ChirpStack's own client (@chirpstack/chirpstack-api: the service
// definitions and messages ChirpStack generates from its .proto files) over gRPC (@grpc/grpc-js).
// Each call carries `authorization: Bearer <API key>` and a deadline; an abort cancels it.
// ChirpStack answers errors as gRPC statuses: NOT_FOUND "Object does not exist (id: …)",
// INVALID_ARGUMENT for bad UUIDs and validation, INTERNAL for bad hex and database refusals,
// UNAUTHENTICATED for a wrong or too weak key.
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import applicationGrpc from '@chirpstack/chirpstack-api/api/application_grpc_pb.js';
import deviceGrpc from '@chirpstack/chirpstack-api/api/device_grpc_pb.js';
import deviceProfileGrpc from '@chirpstack/chirpstack-api/api/device_profile_grpc_pb.js';
import tenantGrpc from '@chirpstack/chirpstack-api/api/tenant_grpc_pb.js';

export class ChirpstackApiError extends Error {
  constructor(
    message: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(message);
    this.name = 'ChirpstackApiError';
  }
}

type Unary<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

export interface ChirpstackApiOptions {
  /** host:port of ChirpStack's gRPC API. */
  server: string;
  token: string;
  tls: boolean;
  caFile?: string;
  callTimeoutMs: number;
  signal: AbortSignal;
}

const CODE_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name])) as Record<
  number,
  string
>;

export class ChirpstackApi {
  readonly tenants: tenantGrpc.TenantServiceClient;
  readonly applications: applicationGrpc.ApplicationServiceClient;
  readonly deviceProfiles: deviceProfileGrpc.DeviceProfileServiceClient;
  readonly devices: deviceGrpc.DeviceServiceClient;
  private readonly metadata = new grpc.Metadata();
  private readonly clients: grpc.Client[];

  constructor(private readonly opts: ChirpstackApiOptions) {
    const credentials = opts.tls
      ? grpc.credentials.createSsl(opts.caFile ? fs.readFileSync(opts.caFile) : null)
      : grpc.credentials.createInsecure();
    // grpc-js shares one connection between clients of the same target (its subchannel pool).
    this.tenants = new tenantGrpc.TenantServiceClient(opts.server, credentials);
    this.applications = new applicationGrpc.ApplicationServiceClient(opts.server, credentials);
    this.deviceProfiles = new deviceProfileGrpc.DeviceProfileServiceClient(opts.server, credentials);
    this.devices = new deviceGrpc.DeviceServiceClient(opts.server, credentials);
    this.clients = [this.tenants, this.applications, this.deviceProfiles, this.devices];
    this.metadata.set('authorization', `Bearer ${opts.token}`);
  }

  /** One unary call: `label` names it in errors ("DeviceService/Create"). */
  call<Req, Res>(label: string, fn: Unary<Req, Res>, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      const { signal } = this.opts;
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => call.cancel();
      const call = fn(req, this.metadata, { deadline: Date.now() + this.opts.callTimeoutMs }, (err, res) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(this.describe(label, err));
        else resolve(res as Res);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private describe(label: string, err: grpc.ServiceError): Error {
    if (err.code === grpc.status.CANCELLED && this.opts.signal.aborted) return this.opts.signal.reason as Error;
    const name = CODE_NAMES[err.code] ?? String(err.code);
    const details = err.details ?? '';
    let hint = '';
    if (err.code === grpc.status.UNAUTHENTICATED) {
      hint =
        ' — check the API key (ChirpStack → API keys): a tenant key reaches only its tenant (ChirpStack answers the same for an id' +
        ' that does not exist), a read-only key cannot write';
    } else if (err.code === grpc.status.UNAVAILABLE) {
      hint = ` — is ChirpStack's API listening on ${this.opts.server}${this.opts.tls ? ' with TLS' : ' without TLS'}?`;
    } else if (err.code === grpc.status.DEADLINE_EXCEEDED) {
      hint = ` (no answer within ${this.opts.callTimeoutMs / 1000} s)`;
    }
    return new ChirpstackApiError(
      `ChirpStack ${label} failed: ${name}${details ? ` ${details}` : ''}${hint}`,
      err.code,
      details,
    );
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

export const isNotFound = (err: unknown): boolean =>
  err instanceof ChirpstackApiError && err.code === grpc.status.NOT_FOUND;
