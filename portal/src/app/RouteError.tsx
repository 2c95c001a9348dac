import { isRouteErrorResponse, useRouteError } from "react-router";
import { Button } from "@/components/ui/button";
import { ErrorState } from "@/components/ui/states";

/** Shown when a route throws while rendering (or a lazy chunk fails to load after a deploy). */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? new Error(`${error.status} ${error.statusText}`) : error;
  return (
    <div className="mx-auto max-w-xl space-y-4 p-6">
      <ErrorState error={message} title="This page failed to load" />
      <Button variant="secondary" onClick={() => window.location.reload()}>Reload</Button>
    </div>
  );
}
