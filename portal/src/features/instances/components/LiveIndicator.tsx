import { Badge } from "@/components/ui/badge";

export function LiveIndicator({ connected }: { connected: boolean }) {
  return (
    <Badge tone={connected ? "green" : "gray"} dot pulse={connected}>
      <span title={connected ? "Updates arrive as they happen" : "Reconnecting to live updates"}>
        {connected ? "Live" : "Connecting"}
      </span>
    </Badge>
  );
}
