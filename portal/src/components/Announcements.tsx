import { Info, Megaphone, TriangleAlert, Wrench } from "lucide-react";
import { useAnnouncements } from "@/api/resources/account";
import type { Announcement } from "@/api/types";
import { cn } from "@/lib/cn";
import { formatDateTime } from "@/lib/format";

const STYLE: Record<Announcement["type"], { icon: typeof Info; className: string }> = {
  info: { icon: Info, className: "border-sky-200 bg-sky-50 text-sky-900 dark:border-sky-900 dark:bg-sky-950/40 dark:text-sky-100" },
  warning: {
    icon: TriangleAlert,
    className: "border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-100",
  },
  maintenance: {
    icon: Wrench,
    className: "border-violet-200 bg-violet-50 text-violet-900 dark:border-violet-900 dark:bg-violet-950/40 dark:text-violet-100",
  },
};

/**
 * Active announcements (a public read: shown on every page and before signing in); renders
 * nothing when there are none or they cannot be loaded.
 */
export function Announcements({ className }: { className?: string }) {
  const { data } = useAnnouncements();
  if (!data || data.length === 0) return null;
  return (
    <section aria-label="Announcements" className={cn("space-y-3", className)}>
      {data.map((a) => {
        const style = STYLE[a.type] ?? { icon: Megaphone, className: STYLE.info.className };
        const Icon = style.icon;
        return (
          <div key={a.id} className={cn("flex gap-3 rounded-xl border p-4 text-sm", style.className)} data-testid="announcement">
            <Icon className="mt-0.5 size-5 shrink-0" aria-hidden />
            <div className="min-w-0">
              <p className="font-semibold">{a.title}</p>
              <p className="mt-0.5 whitespace-pre-line">{a.message}</p>
              <p className="mt-1 text-xs opacity-75">Until {formatDateTime(a.end)}</p>
            </div>
          </div>
        );
      })}
    </section>
  );
}
