import { invalidParameter } from '../errdefs';

/**
 * Type checks of the create body, as Go's JSON decoder does them for dockerd: a field of
 * the wrong type is a 400 with a message in encoding/json's words. Only fields Berth reads
 * are listed; unknown fields are ignored, as Go does.
 */
type Kind = 'string' | 'bool' | 'int' | 'strings' | 'object' | 'stringmap' | 'array' | 'strslice';

const CONFIG_FIELDS: Record<string, Kind> = {
  Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'bool', AttachStdout: 'bool',
  AttachStderr: 'bool', ExposedPorts: 'object', Tty: 'bool', OpenStdin: 'bool', StdinOnce: 'bool',
  Env: 'strings', Cmd: 'strslice', Healthcheck: 'object', ArgsEscaped: 'bool', Image: 'string', Volumes: 'object',
  WorkingDir: 'string', Entrypoint: 'strslice', NetworkDisabled: 'bool', MacAddress: 'string', OnBuild: 'strings',
  Labels: 'stringmap', StopSignal: 'string', StopTimeout: 'int', Shell: 'strslice', HostConfig: 'object',
  NetworkingConfig: 'object',
};

const HOST_CONFIG_FIELDS: Record<string, Kind> = {
  Binds: 'strings', ContainerIDFile: 'string', LogConfig: 'object', NetworkMode: 'string', PortBindings: 'object',
  RestartPolicy: 'object', AutoRemove: 'bool', VolumesFrom: 'strings', Mounts: 'array', CapAdd: 'strslice',
  CapDrop: 'strslice', Dns: 'strings', DnsOptions: 'strings', DnsSearch: 'strings', ExtraHosts: 'strings',
  GroupAdd: 'strings', IpcMode: 'string', Links: 'strings', OomScoreAdj: 'int', PidMode: 'string',
  Privileged: 'bool', PublishAllPorts: 'bool', ReadonlyRootfs: 'bool', SecurityOpt: 'strings', Tmpfs: 'stringmap',
  UTSMode: 'string', UsernsMode: 'string', ShmSize: 'int', Sysctls: 'stringmap', Runtime: 'string', Init: 'bool',
  CpuShares: 'int', Memory: 'int', NanoCpus: 'int', CgroupParent: 'string', BlkioWeight: 'int', CpuPeriod: 'int',
  CpuQuota: 'int', CpusetCpus: 'string', CpusetMems: 'string', Devices: 'array', MemoryReservation: 'int',
  MemorySwap: 'int', MemorySwappiness: 'int', OomKillDisable: 'bool', PidsLimit: 'int', Ulimits: 'array',
  ConsoleSize: 'array',
};

const GO_TYPES: Record<Kind, string> = {
  string: 'string', bool: 'bool', int: 'int64', strings: '[]string', object: 'map[string]interface {}',
  stringmap: 'map[string]string', array: '[]interface {}', strslice: 'strslice.StrSlice',
};

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function ok(kind: Kind, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (kind) {
    case 'string': return typeof v === 'string';
    case 'bool': return typeof v === 'boolean';
    case 'int': return typeof v === 'number' && Number.isInteger(v);
    case 'strings': return Array.isArray(v) && v.every((s) => typeof s === 'string');
    case 'strslice': return typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'));
    case 'object': return typeof v === 'object' && !Array.isArray(v);
    case 'stringmap': return typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((s) => typeof s === 'string');
    case 'array': return Array.isArray(v);
  }
}

function check(struct: string, fields: Record<string, Kind>, obj: Record<string, unknown>): void {
  for (const [name, kind] of Object.entries(fields)) {
    const v = obj[name];
    if (!ok(kind, v)) {
      throw invalidParameter(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${struct}.${name} of type ${GO_TYPES[kind]}`);
    }
  }
}

/** Throws InvalidParameter when the create body has a field of the wrong type. */
export function validateCreateBody(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParameter(`json: cannot unmarshal ${jsonKind(body)} into Go value of type container.CreateRequest`);
  }
  const b = body as Record<string, unknown>;
  check('CreateRequest', CONFIG_FIELDS, b);
  if (b.HostConfig) check('HostConfig', HOST_CONFIG_FIELDS, b.HostConfig as Record<string, unknown>);
}

/** Docker's strslice: a JSON string means a one-element list. */
export function strslice(v: unknown): string[] | null | undefined {
  if (typeof v === 'string') return [v];
  return v as string[] | null | undefined;
}
