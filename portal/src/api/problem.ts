// RFC 9457 problem documents (application/problem+json) → one error type the UI shows.
import type { components } from "./schema";

export type FieldError = components["schemas"]["FieldError"];

/** An API failure: status, stable machine `code`, a human `detail` and per-field errors. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly fieldErrors: FieldError[];

  constructor(init: {
    status: number;
    code: string;
    title: string;
    detail: string;
    fieldErrors?: FieldError[];
  }) {
    super(init.detail || init.title);
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.fieldErrors = init.fieldErrors ?? [];
  }

  /** The first message for `field` (exact match, or the first nested under it). */
  fieldError(field: string): string | undefined {
    const exact = this.fieldErrors.find((e) => e.field === field);
    if (exact) return exact.message;
    return this.fieldErrors.find((e) => e.field.startsWith(`${field}.`))?.message;
  }
}

const CODE_BY_STATUS: Record<number, string> = {
  400: "validation_failed",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  422: "validation_failed",
  429: "rate_limited",
};

function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? "internal" : "error");
}

function titleForStatus(status: number, statusText?: string): string {
  if (statusText) return statusText;
  if (status === 0) return "Network error";
  if (status === 502 || status === 503 || status === 504) return "Service unavailable";
  if (status >= 500) return "Server error";
  return `Request failed (${status})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): FieldError[] => {
    if (!isRecord(item)) return [];
    const field = typeof item.field === "string" ? item.field : "";
    const message = typeof item.message === "string" ? item.message : "";
    return message ? [{ field, message }] : [];
  });
}

/**
 * Builds an ApiError from whatever a failed response carried: a problem document, a JSON
 * object of another shape, plain text (a proxy's error page) or nothing.
 */
export function parseProblem(body: unknown, status: number, statusText?: string): ApiError {
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = body;
    }
  }
  if (isRecord(parsed)) {
    const title = typeof parsed.title === "string" ? parsed.title : titleForStatus(status, statusText);
    const detail =
      typeof parsed.detail === "string" && parsed.detail
        ? parsed.detail
        : typeof parsed.message === "string"
          ? parsed.message
          : title;
    return new ApiError({
      status: typeof parsed.status === "number" ? parsed.status : status,
      code: typeof parsed.code === "string" ? parsed.code : codeForStatus(status),
      title,
      detail,
      fieldErrors: parseFieldErrors(parsed.errors),
    });
  }
  const title = titleForStatus(status, statusText);
  const text = typeof parsed === "string" ? parsed.trim() : "";
  // A short plain-text body is worth showing; an HTML error page is not.
  const detail = text && text.length <= 300 && !text.startsWith("<") ? text : title;
  return new ApiError({ status, code: codeForStatus(status), title, detail });
}

/** Reads a failed Response's body and parses it. */
export async function problemFromResponse(response: Response): Promise<ApiError> {
  let text = "";
  try {
    text = await response.text();
  } catch {
    // body unreadable: fall back to the status
  }
  return parseProblem(text, response.status, response.statusText);
}

/** A message for any thrown value, for toasts and error states. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) {
    if (error.name === "TypeError") return "Cannot reach the server. Check your connection.";
    return error.message;
  }
  return "Something went wrong.";
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

/** A service the API relies on is down for now (503: monitoring, the container engine): try again later. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 503;
}
