import { describe, expect, it } from "vitest";
import { appendLines, filterLines, linesToText, parseLogData, splitLogText } from "./logs";

describe("log lines", () => {
  it("parses raw text and JSON payloads", () => {
    expect(parseLogData("GET / 200", 1)).toEqual({ seq: 1, text: "GET / 200" });
    expect(parseLogData('{"line":"boom","stream":"stderr","timestamp":"2025-11-26T10:00:00Z","replica":2}', 2)).toEqual({
      seq: 2,
      text: "boom",
      stream: "stderr",
      timestamp: "2025-11-26T10:00:00Z",
      replica: "2",
    });
    expect(parseLogData('{"message":"hi"}', 3).text).toBe("hi");
    expect(parseLogData("{not json", 4).text).toBe("{not json");
    expect(parseLogData('{"other":1}', 5).text).toBe('{"other":1}');
  });

  it("splits plain text", () => {
    expect(splitLogText("a\r\nb\n", 10)).toEqual([
      { seq: 10, text: "a" },
      { seq: 11, text: "b" },
    ]);
    expect(splitLogText("", 0)).toEqual([]);
  });

  it("keeps only the newest lines", () => {
    const lines = splitLogText("1\n2\n3\n", 0);
    expect(appendLines(lines, splitLogText("4\n5\n", 3), 4).map((l) => l.text)).toEqual(["2", "3", "4", "5"]);
    expect(appendLines(lines, [])).toBe(lines);
  });

  it("filters case-insensitively and renders text for download", () => {
    const lines = splitLogText("GET /wp-admin 302\nPOST /wp-login.php 200\n", 0);
    expect(filterLines(lines, "WP-LOGIN").map((l) => l.seq)).toEqual([1]);
    expect(filterLines(lines, "  ")).toBe(lines);
    expect(linesToText([{ seq: 0, text: "x", timestamp: "t" }, { seq: 1, text: "y" }])).toBe("t x\ny\n");
  });
});
