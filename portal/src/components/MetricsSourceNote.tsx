import type { MetricsSource } from "@/api/types";

/** Where live figures came from, in words: Prometheus, or the engine when Prometheus is down. */
export function MetricsSourceNote({ source }: { source: MetricsSource }) {
  return source === "prometheus" ? (
    <span title="Rates over the last minute, from the platform's Prometheus">Live from Prometheus</span>
  ) : (
    <span title="Prometheus cannot be reached: read from the container engine over about a second; storage is not measured">
      From the container engine (Prometheus unreachable)
    </span>
  );
}
