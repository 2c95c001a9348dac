import { CalendarClock, Megaphone, Pencil, Plus, Trash2 } from "lucide-react";
import { useState } from "react";
import { errorMessage } from "@/api/problem";
import type { Announcement, MaintenanceWindow } from "@/api/types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { EmptyState, LoadingState, QueryError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { formatDateTime } from "@/lib/format";
import { useNow } from "@/lib/time";
import { useAdminAnnouncements, useAdminWindows, useDeleteAnnouncement, useDeleteWindow } from "../api/admin";
import { AnnouncementDialog } from "../components/AnnouncementDialog";
import { WindowDialog } from "../components/WindowDialog";
import { isActiveNow } from "../utils/datetime";

type Editing<T> = { item: T | null } | null;

function Period({ start, end }: { start: string; end: string }) {
  const now = useNow(30_000);
  const active = isActiveNow(start, end, now);
  const past = new Date(end).getTime() <= now;
  return (
    <span className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
      {formatDateTime(start)} → {formatDateTime(end)}
      <Badge tone={active ? "green" : past ? "gray" : "blue"}>{active ? "active" : past ? "ended" : "scheduled"}</Badge>
    </span>
  );
}

export default function MaintenancePage() {
  const announcements = useAdminAnnouncements();
  const windows = useAdminWindows();
  const deleteAnnouncement = useDeleteAnnouncement();
  const deleteWindow = useDeleteWindow();
  const toast = useToast();
  const [announcement, setAnnouncement] = useState<Editing<Announcement>>(null);
  const [window, setWindow] = useState<Editing<MaintenanceWindow>>(null);
  const now = useNow(30_000);
  const onError = (error: unknown) => toast({ title: "Not deleted", description: errorMessage(error), tone: "error" });

  return (
    <>
      <PageHeader title="Maintenance" description="Announcements for every user and windows that block the portal." />
      <div className="space-y-6">
        <Card>
          <CardHeader
            title="Maintenance windows"
            description="Users are blocked with a notice while one is active; admins are not."
            actions={<Button onClick={() => setWindow({ item: null })} icon={<Plus className="size-4" aria-hidden />}>Schedule</Button>}
          />
          <CardBody className="p-0">
            {windows.isPending ? (
              <LoadingState label="Loading windows" />
            ) : windows.error ? (
              <QueryError className="m-4" error={windows.error} onRetry={() => void windows.refetch()} />
            ) : windows.data.length === 0 ? (
              <EmptyState icon={CalendarClock} title="No maintenance windows" />
            ) : (
              <ul className="divide-y divide-slate-200 dark:divide-slate-800">
                {windows.data.map((w) => (
                  <li key={w.id} className="flex flex-wrap items-start gap-3 px-5 py-3 text-sm">
                    <div className="min-w-0 flex-1">
                      <p className="font-medium break-words">
                        {w.message}
                        {w.blocking && <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-normal text-amber-800 dark:bg-amber-900/40 dark:text-amber-300">blocks writes</span>}
                      </p>
                      <Period start={w.start} end={w.end} />
                    </div>
                    <Button variant="ghost" size="sm" onClick={() => setWindow({ item: w })} icon={<Pencil className="size-4" aria-hidden />}>Edit</Button>
                    <Button variant="ghost" size="sm" onClick={() => deleteWindow.mutate(w.id, { onError })} icon={<Trash2 className="size-4" aria-hidden />}>
                      {isActiveNow(w.start, w.end, now) ? "End now" : "Delete"}
                    </Button>
                  </li>
                ))}
              </ul>
            )}
          </CardBody>
        </Card>
        <Card>
          <CardHeader
            title="Announcements"
            description="Shown on every user's dashboard during their period."
            actions={<Button onClick={() => setAnnouncement({ item: null })} icon={<Plus className="size-4" aria-hidden />}>New</Button>}
          />
          <CardBody className="p-0">
            {announcements.isPending ? (
              <LoadingState label="Loading announcements" />
            ) : announcements.error ? (
              <QueryError className="m-4" error={announcements.error} onRetry={() => void announcements.refetch()} />
            ) : announcements.data.length === 0 ? (
              <EmptyState icon={Megaphone} title="No announcements" />
            ) : (
              <ul className="divide-y divide-slate-200 dark:divide-slate-800">
                {announcements.data.map((a) => (
                  <li key={a.id} className="flex flex-wrap items-start gap-3 px-5 py-3 text-sm">
                    <div className="min-w-0 flex-1">
                      <p className="flex items-center gap-2 font-medium">
                        {a.title} <Badge tone={a.type === "warning" ? "amber" : a.type === "maintenance" ? "violet" : "blue"}>{a.type}</Badge>
                      </p>
                      <p className="text-slate-600 dark:text-slate-400">{a.message}</p>
                      <Period start={a.start} end={a.end} />
                    </div>
                    <Button variant="ghost" size="sm" onClick={() => setAnnouncement({ item: a })} icon={<Pencil className="size-4" aria-hidden />}>Edit</Button>
                    <Button variant="ghost" size="sm" onClick={() => deleteAnnouncement.mutate(a.id, { onError })} icon={<Trash2 className="size-4" aria-hidden />}>Delete</Button>
                  </li>
                ))}
              </ul>
            )}
          </CardBody>
        </Card>
      </div>
      {announcement && <AnnouncementDialog key={announcement.item?.id ?? "new"} editing={announcement.item} open onClose={() => setAnnouncement(null)} />}
      {window && <WindowDialog key={window.item?.id ?? "new"} editing={window.item} open onClose={() => setWindow(null)} />}
    </>
  );
}
