import { describe, expect, it } from "vitest";
import { ApiError, errorMessage, isUnavailable, parseProblem, problemFromResponse } from "./problem";

describe("parseProblem", () => {
  it("reads an RFC 9457 document with field errors", () => {
    const error = parseProblem(
      {
        type: "urn:swarmpress:problem:validation_failed",
        title: "Validation failed",
        status: 422,
        detail: "spec.replicas: must be at least 1",
        code: "validation_failed",
        errors: [{ field: "spec.replicas", message: "must be at least 1" }, { nonsense: true }],
      },
      422,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_failed");
    expect(error.detail).toBe("spec.replicas: must be at least 1");
    expect(error.fieldErrors).toEqual([{ field: "spec.replicas", message: "must be at least 1" }]);
    expect(error.fieldError("spec.replicas")).toBe("must be at least 1");
    expect(error.fieldError("spec")).toBe("must be at least 1");
    expect(error.fieldError("metadata.name")).toBeUndefined();
  });

  it("parses a JSON string body", () => {
    const error = parseProblem('{"title":"Conflict","status":409,"detail":"resourceVersion mismatch","code":"conflict","errors":[]}', 409);
    expect(error.code).toBe("conflict");
    expect(error.detail).toBe("resourceVersion mismatch");
  });

  it("falls back to the status for plain text and HTML bodies", () => {
    const text = parseProblem("upstream timed out", 504);
    expect(text.code).toBe("internal");
    expect(text.detail).toBe("upstream timed out");
    expect(text.title).toBe("Service unavailable");

    const html = parseProblem("<html><body>Bad Gateway</body></html>", 502, "Bad Gateway");
    expect(html.detail).toBe("Bad Gateway");
    expect(html.status).toBe(502);
  });

  it("derives a code when the body has none", () => {
    expect(parseProblem(undefined, 404).code).toBe("not_found");
    expect(parseProblem("", 401).code).toBe("unauthorized");
    expect(parseProblem({ message: "nope" }, 403)).toMatchObject({ code: "forbidden", detail: "nope" });
    expect(parseProblem(null, 418).code).toBe("error");
  });

  it("reads a Response", async () => {
    const response = new Response(JSON.stringify({ title: "Too many requests", status: 429, detail: "slow down", code: "rate_limited", errors: [] }), {
      status: 429,
      headers: { "Content-Type": "application/problem+json" },
    });
    const error = await problemFromResponse(response);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", detail: "slow down" });
  });
});

describe("helpers", () => {
  it("turns anything into a message", () => {
    expect(errorMessage(parseProblem({ detail: "quota exceeded" }, 403))).toBe("quota exceeded");
    expect(errorMessage(new TypeError("Failed to fetch"))).toMatch(/Cannot reach/);
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage(42)).toBe("Something went wrong.");
  });

  it("tells a service that is down from a resource that is not there", () => {
    expect(isUnavailable(parseProblem(null, 404))).toBe(false);
    expect(isUnavailable(parseProblem(null, 503))).toBe(true);
    expect(isUnavailable(parseProblem(null, 500))).toBe(false);
    expect(isUnavailable(new Error("x"))).toBe(false);
  });
});
