// The one error catalogue (DESIGN.md, Errors). Services throw RegistryError; one mapper in http/
// renders it as the OCI body {"errors":[{code,message,detail}]}. Nothing else writes an error body.

export interface ErrorDescriptor {
  readonly status: number;
  readonly message: string;
}

export const ERRORS = {
  // OCI distribution-spec codes, with the statuses the spec (and Distribution) give them.
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  // Distribution's code for a bad `n` on tag lists and the catalog.
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  // Berth's own codes.
  RANGE_INVALID: { status: 416, message: 'requested range not satisfiable' },
  MANIFEST_TOO_LARGE: { status: 413, message: 'manifest exceeds the size limit' },
  BODY_INCOMPLETE: { status: 400, message: 'request body ended before its Content-Length' },
  BODY_TIMEOUT: { status: 408, message: 'the request body did not arrive in time' },
  BODY_TOO_LARGE: { status: 413, message: 'request body exceeds the size limit' },
  QUOTA_EXCEEDED: { status: 403, message: 'storage quota exceeded' },
  STORAGE_FULL: { status: 507, message: "the registry's storage is full: nothing was stored; try again once an administrator has freed space" },
  TAG_IMMUTABLE: { status: 409, message: 'tag is immutable' },
  NOT_FOUND: { status: 404, message: 'not found' },
  INVALID_REQUEST: { status: 400, message: 'invalid request' },
  CONFLICT: { status: 409, message: 'already exists' },
  INTERNAL: { status: 500, message: 'internal server error' },
} as const satisfies Record<string, ErrorDescriptor>;

export type ErrorCode = keyof typeof ERRORS;

export interface RegistryErrorOptions {
  /** Overrides the catalogue status, e.g. 416 for an out-of-order chunk (code BLOB_UPLOAD_INVALID). */
  status?: number;
  /** Overrides the catalogue message when a more specific sentence helps the user. */
  message?: string;
  /** Extra headers the response must carry (e.g. Range on a 416 upload answer). */
  headers?: Record<string, string>;
}

export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail?: unknown, options: RegistryErrorOptions = {}) {
    const entry = ERRORS[code];
    super(options.message ?? entry.message);
    this.name = 'RegistryError';
    this.code = code;
    this.status = options.status ?? entry.status;
    this.detail = detail;
    this.headers = options.headers ?? {};
  }

  /** The OCI wire body for this error. */
  toBody(): { errors: { code: string; message: string; detail?: unknown }[] } {
    const error: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) error.detail = this.detail;
    return { errors: [error] };
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}
