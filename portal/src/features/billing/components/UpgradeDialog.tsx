import { useState } from "react";
import { usePlans } from "@/api/resources/account";
import type { Plan } from "@/api/types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { cn } from "@/lib/cn";
import { formatMoney } from "@/lib/format";
import { useUpgrade } from "../api/billing";
import { PlanAllocations } from "./PlanAllocations";

export function UpgradeDialog({ open, onClose, current }: { open: boolean; onClose: () => void; current: Plan }) {
  const plans = usePlans();
  const upgrade = useUpgrade();
  const toast = useToast();
  const [selected, setSelected] = useState<string | null>(null);
  const choice = plans.data?.find((p) => p.id === selected);
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Change plan"
      description="A cheaper plan starts now. A dearer one starts once an administrator approves it."
      size="xl"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>Cancel</Button>
          <Button
            disabled={!choice || choice.id === current.id}
            loading={upgrade.isPending}
            onClick={() =>
              choice &&
              upgrade.mutate(choice.id, {
                onSuccess: (view) => {
                  toast(
                    view.pending
                      ? { title: `${choice.name} requested`, description: "An administrator approves plan upgrades; your plan changes then.", tone: "info" }
                      : { title: `You are now on ${choice.name}`, tone: "success" },
                  );
                  onClose();
                },
              })
            }
          >
            {choice ? `Switch to ${choice.name}` : "Choose a plan"}
          </Button>
        </>
      }
    >
      {upgrade.error && <ErrorState className="mb-4" error={upgrade.error} title="Plan not changed" />}
      {plans.isPending ? (
        <LoadingState label="Loading plans" />
      ) : plans.error ? (
        <ErrorState error={plans.error} onRetry={() => void plans.refetch()} />
      ) : (
        <fieldset>
          <legend className="sr-only">Plans</legend>
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
            {plans.data.map((plan) => {
              const isCurrent = plan.id === current.id;
              const isSelected = plan.id === selected;
              return (
                <label
                  key={plan.id}
                  className={cn(
                    "relative flex cursor-pointer flex-col rounded-xl border p-4 focus-within:outline-2 focus-within:outline-indigo-500",
                    isSelected ? "border-indigo-600 ring-1 ring-indigo-600" : "border-slate-200 dark:border-slate-700",
                  )}
                >
                  <input type="radio" name="plan" value={plan.id} className="sr-only" checked={isSelected} onChange={() => setSelected(plan.id)} />
                  <span className="flex items-center justify-between">
                    <span className="font-semibold">{plan.name}</span>
                    {isCurrent && <Badge tone="violet">Current</Badge>}
                  </span>
                  <span className="mt-1 text-2xl font-semibold">
                    {formatMoney(plan.priceCents, plan.currency, { freeLabel: "Free" })}
                    {plan.priceCents > 0 && <span className="text-sm font-normal text-slate-500">/mo</span>}
                  </span>
                  <div className="mt-3">
                    <PlanAllocations plan={plan} />
                  </div>
                </label>
              );
            })}
          </div>
        </fieldset>
      )}
    </Dialog>
  );
}
