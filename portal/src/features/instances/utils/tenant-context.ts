import { useOutletContext } from "react-router";
import type { Tenant } from "@/api/types";

/** The tenant the detail page loaded, for its tabs. */
export function useTenantContext(): Tenant {
  return useOutletContext<Tenant>();
}
