// Every TanStack Query key in one place, so invalidations cannot drift from the queries.
export const keys = {
  session: ["session"] as const,
  tenants: {
    all: ["tenants"] as const,
    list: (labelSelector = "") => ["tenants", "list", labelSelector] as const,
    detail: (name: string) => ["tenants", "detail", name] as const,
    events: (name: string) => ["tenants", "events", name] as const,
    inspect: (name: string) => ["tenants", "inspect", name] as const,
  },
  monitoring: {
    summary: ["monitoring", "summary"] as const,
    metrics: (name: string) => ["monitoring", "metrics", name] as const,
    history: (name: string, range: string) => ["monitoring", "history", name, range] as const,
  },
  cluster: ["cluster"] as const,
  plans: ["plans"] as const,
  subscription: ["subscription"] as const,
  images: ["images"] as const,
  regions: ["regions"] as const,
  invoices: ["invoices"] as const,
  tokens: ["tokens"] as const,
  announcements: ["announcements"] as const,
  maintenanceStatus: ["maintenance", "status"] as const,
  admin: {
    announcements: ["admin", "announcements"] as const,
    windows: ["admin", "maintenance-windows"] as const,
    users: ["admin", "users"] as const,
    audit: ["admin", "audit"] as const,
    invoices: ["admin", "invoices"] as const,
    planRequests: ["admin", "plan-requests"] as const,
    rollouts: ["admin", "rollouts"] as const,
  },
};
