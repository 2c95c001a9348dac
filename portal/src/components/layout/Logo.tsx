export function Logo({ compact }: { compact?: boolean }) {
  return (
    <span className="inline-flex items-center gap-2 font-semibold tracking-tight">
      <svg viewBox="0 0 32 32" className="size-8" aria-hidden>
        <rect width="32" height="32" rx="8" className="fill-indigo-600" />
        <path
          d="M9 20c0 2 2 3 5 3h3c3 0 5-1.5 5-4s-2-3.5-5-4h-2c-2-.3-3-1-3-2s1-2 3-2h3c2 0 3 .8 3 2"
          fill="none"
          stroke="#fff"
          strokeWidth="2.4"
          strokeLinecap="round"
        />
      </svg>
      {!compact && <span className="text-lg">swarmpress</span>}
    </span>
  );
}
