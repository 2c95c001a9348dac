import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";
import type { MaintenanceWindow, Rollout, RolloutSpec } from "@/api/types";

const TERMINAL = new Set(["completed", "failed", "aborted"]);
export const isTerminal = (rollout: Rollout) => TERMINAL.has(rollout.state);

/** Every rollout; polled every 3 s while one is in flight, so progress shows live. */
export function useRollouts() {
  return useQuery({
    queryKey: keys.admin.rollouts,
    queryFn: () => unwrap(api.GET("/admin/rollouts")),
    refetchInterval: (query) => (query.state.data?.some((r) => !isTerminal(r)) ? 3000 : 30_000),
  });
}

export function useCreateRollout() {
  const queryClient = useQueryClient();
  return useMutation({
    /**
     * Creates the rollout; with `window`, then names it in that maintenance window (its start
     * time is already the window's, so it cannot begin before the link is written).
     */
    mutationFn: async ({ spec, window }: { spec: RolloutSpec; window?: MaintenanceWindow }) => {
      const rollout = await unwrap(api.POST("/admin/rollouts", { body: spec }));
      if (window) {
        const { start, end, message, blocking } = window;
        await unwrap(
          api.PUT("/admin/maintenance-windows/{id}", {
            params: { path: { id: window.id } },
            body: { start, end, message, blocking, rolloutId: rollout.id },
          }),
        );
      }
      return rollout;
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.rollouts });
      void queryClient.invalidateQueries({ queryKey: keys.admin.windows });
    },
  });
}

export type RolloutCommand = "pause" | "resume" | "abort" | "start";

export function useRolloutCommand() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, command }: { id: string; command: RolloutCommand }) => {
      const params = { params: { path: { id } } };
      switch (command) {
        case "pause":
          return unwrap(api.POST("/admin/rollouts/{id}/pause", params));
        case "resume":
          return unwrap(api.POST("/admin/rollouts/{id}/resume", params));
        case "abort":
          return unwrap(api.POST("/admin/rollouts/{id}/abort", params));
        case "start":
          return unwrap(api.POST("/admin/rollouts/{id}/start", params));
      }
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.admin.rollouts }),
  });
}
