import { describe, expect, it } from "vitest";
import {
  formatAge,
  formatBytes,
  formatMib,
  formatMoney,
  formatPercent,
  formatRate,
  formatRelative,
  parseMemory,
  usagePercent,
} from "./format";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [512 * 1024 ** 2, "512.0 MiB"],
    [3.25 * 1024 ** 3, "3.3 GiB"],
    [-2048, "-2.0 KiB"],
  ])("%d → %s", (bytes, expected) => expect(formatBytes(bytes)).toBe(expected));

  it("shows a dash for missing or non-finite values", () => {
    expect(formatBytes(undefined)).toBe("—");
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
  });

  it("formats rates", () => {
    expect(formatRate(2048)).toBe("2.0 KiB/s");
    expect(formatRate(undefined)).toBe("—");
  });
});

describe("formatMib", () => {
  it("says whole GiB where it can and MiB below one", () => {
    expect(formatMib(512)).toBe("512 MiB");
    expect(formatMib(1024)).toBe("1 GiB");
    expect(formatMib(1536)).toBe("1.5 GiB");
    expect(formatMib(undefined)).toBe("—");
  });
});

describe("formatPercent", () => {
  it("rounds to one decimal by default", () => {
    expect(formatPercent(12.345)).toBe("12.3%");
    expect(formatPercent(0)).toBe("0.0%");
    expect(formatPercent(99.96, 0)).toBe("100%");
    expect(formatPercent(undefined)).toBe("—");
  });

  it("computes clamped usage", () => {
    expect(usagePercent(1, 4)).toBe(25);
    expect(usagePercent(5, 4)).toBe(100);
    expect(usagePercent(3, null)).toBe(0);
    expect(usagePercent(3, 0)).toBe(0);
  });
});

describe("formatAge", () => {
  const now = Date.parse("2025-11-26T12:00:00Z");
  it.each([
    ["2025-11-26T11:59:15Z", "45s"],
    ["2025-11-26T11:48:00Z", "12m"],
    ["2025-11-26T09:00:00Z", "3h"],
    ["2025-11-21T12:00:00Z", "5d"],
    ["2023-11-01T12:00:00Z", "2y"],
  ])("%s → %s", (since, expected) => expect(formatAge(since, now)).toBe(expected));

  it("treats the future as 0s and garbage as a dash", () => {
    expect(formatAge("2025-11-26T12:05:00Z", now)).toBe("0s");
    expect(formatAge("not a date", now)).toBe("—");
    expect(formatAge(null, now)).toBe("—");
  });

  it("phrases relative times", () => {
    expect(formatRelative("2025-11-26T11:59:58Z", now)).toBe("just now");
    expect(formatRelative("2025-11-26T11:57:00Z", now)).toBe("3m ago");
  });
});

describe("money and quantities", () => {
  it("formats cents with the currency and a free label", () => {
    expect(formatMoney(0, "EUR", { freeLabel: "Free" })).toBe("Free");
    expect(formatMoney(1999, "EUR")).toMatch(/19[.,]99/);
    expect(formatMoney(500, "XXX-not-a-currency")).toBe("5.00 XXX-not-a-currency");
  });

  it("parses memory quantities", () => {
    expect(parseMemory("512Mi")).toBe(512 * 1024 ** 2);
    expect(parseMemory("2Gi")).toBe(2 * 1024 ** 3);
    expect(parseMemory("512M")).toBeNull();
  });
});
