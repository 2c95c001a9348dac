import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/states";

export function StatCard({
  icon: Icon,
  label,
  value,
  detail,
  loading,
}: {
  icon: LucideIcon;
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  loading?: boolean;
}) {
  return (
    <Card className="p-5">
      <div className="flex items-center gap-3">
        <div className="rounded-lg bg-indigo-50 p-2 dark:bg-indigo-950">
          <Icon className="size-5 text-indigo-600 dark:text-indigo-400" aria-hidden />
        </div>
        <p className="text-sm font-medium text-slate-500 dark:text-slate-400">{label}</p>
      </div>
      <div className="mt-3 text-2xl font-semibold tracking-tight">{loading ? <Skeleton className="h-8 w-24" /> : value}</div>
      {detail && <div className="mt-1 text-xs text-slate-500 dark:text-slate-400">{detail}</div>}
    </Card>
  );
}
