import { LogOut, Menu, Moon, Sun, X, type LucideIcon } from "lucide-react";
import { useEffect, useState, type ReactNode } from "react";
import { NavLink } from "react-router";
import { focusRing } from "@/components/ui/styles";
import { cn } from "@/lib/cn";
import { useTheme } from "@/lib/theme";
import { Logo } from "./Logo";

export interface NavItem {
  to: string;
  label: string;
  icon: LucideIcon;
  end?: boolean;
}

export interface NavSection {
  title?: string;
  items: NavItem[];
}

function Nav({ sections, onNavigate }: { sections: NavSection[]; onNavigate?: () => void }) {
  return (
    <nav aria-label="Main" className="flex-1 space-y-6 overflow-y-auto px-3 py-4">
      {sections.map((section, index) => (
        <div key={section.title ?? index}>
          {section.title && (
            <p className="mb-2 px-3 text-xs font-semibold tracking-wider text-slate-400 uppercase">{section.title}</p>
          )}
          <ul className="space-y-1">
            {section.items.map(({ to, label, icon: Icon, end }) => (
              <li key={to}>
                <NavLink
                  to={to}
                  end={end}
                  onClick={onNavigate}
                  className={({ isActive }) =>
                    cn(
                      "flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium transition-colors",
                      focusRing,
                      isActive
                        ? "bg-indigo-50 text-indigo-700 dark:bg-indigo-950/60 dark:text-indigo-300"
                        : "text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-slate-100",
                    )
                  }
                >
                  <Icon className="size-4 shrink-0" aria-hidden />
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

export function ThemeToggle() {
  const [theme, toggle] = useTheme();
  const dark = theme === "dark";
  return (
    <button
      type="button"
      onClick={toggle}
      className={cn("rounded-lg p-2 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800", focusRing)}
      aria-label={dark ? "Switch to light mode" : "Switch to dark mode"}
      aria-pressed={dark}
    >
      {dark ? <Sun className="size-5" aria-hidden /> : <Moon className="size-5" aria-hidden />}
    </button>
  );
}

interface ShellProps {
  sections: NavSection[];
  user: { name: string; email: string; role: string };
  onLogout: () => void;
  /** Shown above the page (announcements, connection state). */
  banner?: ReactNode;
  topbarExtra?: ReactNode;
  children: ReactNode;
}

/** Sidebar on wide screens, a drawer below `lg`; a top bar with theme and account. */
export function Shell({ sections, user, onLogout, banner, topbarExtra, children }: ShellProps) {
  const [drawerOpen, setDrawerOpen] = useState(false);
  useEffect(() => {
    if (!drawerOpen) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setDrawerOpen(false);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [drawerOpen]);

  const initials = (user.name || user.email).slice(0, 2).toUpperCase();

  return (
    <div className="min-h-screen lg:pl-64">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-indigo-600 px-3 py-2 text-white focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      {/* Desktop sidebar */}
      <aside className="fixed inset-y-0 left-0 z-30 hidden w-64 flex-col border-r border-slate-200 bg-white lg:flex dark:border-slate-800 dark:bg-slate-900">
        <div className="flex h-16 items-center px-6">
          <Logo />
        </div>
        <Nav sections={sections} />
      </aside>
      {/* Mobile drawer */}
      {drawerOpen && (
        <div className="fixed inset-0 z-40 lg:hidden" role="dialog" aria-modal="true" aria-label="Navigation">
          <div className="absolute inset-0 bg-slate-950/50" aria-hidden onClick={() => setDrawerOpen(false)} />
          <aside className="absolute inset-y-0 left-0 flex w-72 max-w-[85vw] flex-col bg-white shadow-xl dark:bg-slate-900">
            <div className="flex h-16 items-center justify-between px-4">
              <Logo />
              <button
                type="button"
                className={cn("rounded-lg p-2", focusRing)}
                onClick={() => setDrawerOpen(false)}
                aria-label="Close navigation"
                autoFocus
              >
                <X className="size-5" aria-hidden />
              </button>
            </div>
            <Nav sections={sections} onNavigate={() => setDrawerOpen(false)} />
          </aside>
        </div>
      )}
      <header className="sticky top-0 z-20 flex h-16 items-center gap-2 border-b border-slate-200 bg-white/90 px-4 backdrop-blur sm:px-6 dark:border-slate-800 dark:bg-slate-900/90">
        <button
          type="button"
          className={cn("rounded-lg p-2 lg:hidden", focusRing)}
          onClick={() => setDrawerOpen(true)}
          aria-label="Open navigation"
          aria-expanded={drawerOpen}
        >
          <Menu className="size-5" aria-hidden />
        </button>
        <span className="lg:hidden">
          <Logo compact />
        </span>
        <div className="ml-auto flex items-center gap-1 sm:gap-2">
          {topbarExtra}
          <ThemeToggle />
          <div className="hidden items-center gap-2 pl-2 sm:flex">
            <span
              className="flex size-8 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700 dark:bg-indigo-900 dark:text-indigo-200"
              aria-hidden
            >
              {initials}
            </span>
            <div className="hidden text-sm leading-tight md:block">
              <p className="max-w-48 truncate font-medium" data-testid="user-email">{user.name || user.email}</p>
              <p className="text-xs text-slate-500 capitalize">{user.role}</p>
            </div>
          </div>
          <button
            type="button"
            onClick={onLogout}
            className={cn("rounded-lg p-2 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800", focusRing)}
            aria-label="Sign out"
            title="Sign out"
          >
            <LogOut className="size-5" aria-hidden />
          </button>
        </div>
      </header>
      {banner}
      <main id="main" tabIndex={-1} className="mx-auto w-full max-w-7xl px-4 py-6 outline-none sm:px-6 lg:px-8">
        {children}
      </main>
    </div>
  );
}
