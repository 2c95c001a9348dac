import type { ReactNode } from "react";
import { Logo } from "@/components/layout/Logo";
import { Card } from "@/components/ui/card";

export function AuthShell({ title, subtitle, children, footer }: {
  title: string;
  subtitle: string;
  children: ReactNode;
  footer: ReactNode;
}) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center bg-gradient-to-b from-indigo-50 to-slate-50 px-4 py-10 dark:from-slate-900 dark:to-slate-950">
      <div className="mb-8"><Logo /></div>
      <Card className="w-full max-w-sm p-6 sm:p-8">
        <h1 className="text-xl font-semibold">{title}</h1>
        <p className="mt-1 mb-6 text-sm text-slate-500 dark:text-slate-400">{subtitle}</p>
        {children}
      </Card>
      <p className="mt-6 text-sm text-slate-600 dark:text-slate-400">{footer}</p>
    </main>
  );
}
