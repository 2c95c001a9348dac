import { CheckCircle2, Info, X, XCircle } from "lucide-react";
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { cn } from "@/lib/cn";
import { focusRing } from "./styles";
import { ToastContext, type ToastInput } from "./toast-context";

interface ToastItem extends ToastInput {
  id: number;
}

const ICONS = { success: CheckCircle2, error: XCircle, info: Info };
const TONES = {
  success: "text-emerald-600 dark:text-emerald-400",
  error: "text-red-600 dark:text-red-400",
  info: "text-sky-600 dark:text-sky-400",
};

function ToastView({ toast, onDismiss }: { toast: ToastItem; onDismiss: (id: number) => void }) {
  const tone = toast.tone ?? "info";
  const Icon = ICONS[tone];
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(toast.id), tone === "error" ? 8000 : 4500);
    return () => clearTimeout(timer);
  }, [toast.id, tone, onDismiss]);
  return (
    <li
      role={tone === "error" ? "alert" : "status"}
      className="pointer-events-auto flex w-full items-start gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-lg dark:border-slate-800 dark:bg-slate-900"
    >
      <Icon className={cn("mt-0.5 size-5 shrink-0", TONES[tone])} aria-hidden />
      <div className="min-w-0 flex-1 text-sm">
        <p className="font-medium">{toast.title}</p>
        {toast.description && <p className="mt-0.5 break-words text-slate-500 dark:text-slate-400">{toast.description}</p>}
      </div>
      <button
        type="button"
        onClick={() => onDismiss(toast.id)}
        className={cn("rounded p-0.5 text-slate-400 hover:text-slate-600", focusRing)}
        aria-label="Dismiss notification"
      >
        <X className="size-4" aria-hidden />
      </button>
    </li>
  );
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<ToastItem[]>([]);
  const nextId = useRef(1);
  const push = useCallback((toast: ToastInput) => {
    const id = nextId.current++;
    setToasts((list) => [...list.slice(-3), { ...toast, id }]);
  }, []);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <ol
        aria-label="Notifications"
        className="pointer-events-none fixed inset-x-0 bottom-0 z-[60] flex flex-col items-end gap-2 p-4 sm:left-auto sm:w-96"
      >
        {toasts.map((t) => (
          <ToastView key={t.id} toast={t} onDismiss={dismiss} />
        ))}
      </ol>
    </ToastContext.Provider>
  );
}
