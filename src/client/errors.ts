/**
 * Errors the Engine API client throws. An answer with a non-2xx status becomes an ApiError
 * carrying the status and Docker's `message`; a socket that cannot be reached becomes a
 * ConnectionError whose text is the one the docker CLI prints.
 */
export class ApiError extends Error {
  constructor(readonly statusCode: number, message: string, readonly body?: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export class ConnectionError extends Error {
  constructor(readonly host: string, override readonly cause?: unknown) {
    super(`Cannot connect to the Berth daemon at ${host}. Is the berth daemon running?`);
    this.name = 'ConnectionError';
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;
export const isNotFoundError = (e: unknown): boolean => e instanceof ApiError && e.statusCode === 404;

/** Docker's error body is `{"message": "..."}`; anything else is shown as it came. */
export function errorFromBody(statusCode: number, body: string): ApiError {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (parsed && typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  if (!message) message = `${statusCode} ${statusText(statusCode)}`;
  return new ApiError(statusCode, message, body);
}

function statusText(code: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
    409: 'Conflict', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
  };
  return texts[code] ?? 'Error';
}
