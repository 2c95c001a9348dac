import type { Phase } from "@/api/types";
import { Badge, type Tone } from "./ui/badge";

const PHASE_TONES: Record<Phase, Tone> = {
  Pending: "gray",
  Provisioning: "blue",
  Running: "green",
  Updating: "blue",
  Stopped: "gray",
  Degraded: "amber",
  Failed: "red",
  Deleting: "violet",
};

const TRANSITIONAL: ReadonlySet<Phase> = new Set(["Pending", "Provisioning", "Updating", "Deleting"]);

export function PhaseBadge({ phase }: { phase: Phase | undefined }) {
  const value = phase ?? "Pending";
  return (
    <Badge tone={PHASE_TONES[value] ?? "gray"} dot pulse={TRANSITIONAL.has(value)}>
      <span data-testid="phase">{value}</span>
    </Badge>
  );
}
