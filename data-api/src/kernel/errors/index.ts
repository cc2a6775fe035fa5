/**
 * The error catalogue: every error the API returns has one of these codes. The body
 * shape is part of the contract (contracts.md): `{ error, message?, issues? }`.
 */
export type ErrorCode =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface ValidationIssue {
  /** Where the bad value is: `body.name`, `query.limit`, `params.id`. */
  path: string;
  message: string;
}

export interface ErrorBody {
  error: ErrorCode;
  message?: string;
  issues?: ValidationIssue[];
}

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ValidationIssue[],
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = STATUS[code];
  }
  toBody(): ErrorBody {
    if (this.code === 'validation') return { error: 'validation', message: this.message, issues: this.issues ?? [] };
    // Other errors about one field (an upload's 413 or 415 at body.file) name it too.
    return this.issues
      ? { error: this.code, message: this.message, issues: this.issues }
      : { error: this.code, message: this.message };
  }
}

export const validationError = (issues: ValidationIssue[]) =>
  new ApiError('validation', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
export const notFound = (what: string, id: string) => new ApiError('not_found', `${what} ${id} not found`);
export const conflict = (message: string) => new ApiError('conflict', message);
export const forbidden = (message: string) => new ApiError('forbidden', message);
export const unauthorized = (message = 'a bearer token is required') => new ApiError('unauthorized', message);

/** `['body', 'gates', 0, 'id']` → `body.gates[0].id` */
export function formatPath(parts: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
