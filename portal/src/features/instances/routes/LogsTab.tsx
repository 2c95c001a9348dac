import { Card, CardBody } from "@/components/ui/card";
import { LogViewer } from "../components/LogViewer";
import { useTenantContext } from "../utils/tenant-context";

export function LogsTab() {
  const t = useTenantContext();
  return (
    <Card>
      <CardBody>
        <LogViewer name={t.metadata.name} />
      </CardBody>
    </Card>
  );
}
