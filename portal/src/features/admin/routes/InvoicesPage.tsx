import { CheckCircle2, Receipt } from "lucide-react";
import { useState } from "react";
import type { InvoiceStatus } from "@/api/types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { Field, Select } from "@/components/ui/field";
import { EmptyState, ErrorState, LoadingState, QueryError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { formatDate, formatMoney } from "@/lib/format";
import { useAdminInvoices, useAdminUsers, useMarkInvoicePaid } from "../api/admin";

const TONE = { paid: "green", open: "amber", void: "gray" } as const;

/**
 * Every user's invoices. A scheduler issues one per billing period of each paid plan; with no
 * payment provider here, an administrator marks them paid when the money has arrived.
 */
export default function InvoicesPage() {
  const [status, setStatus] = useState<InvoiceStatus | "">("open");
  const invoices = useAdminInvoices(status);
  const users = useAdminUsers();
  const pay = useMarkInvoicePaid();
  const toast = useToast();
  const who = (id: string) => users.data?.find((u) => u.id === id)?.email ?? id;
  return (
    <>
      <PageHeader
        title="Invoices"
        description="Issued every billing period for each paid plan. No payment provider is connected: mark an invoice paid once its payment has arrived."
        actions={
          <Field label="Show" className="w-40">
            <Select value={status} onChange={(e) => setStatus(e.target.value as InvoiceStatus | "")}>
              <option value="open">Open</option>
              <option value="paid">Paid</option>
              <option value="void">Void</option>
              <option value="">All</option>
            </Select>
          </Field>
        }
      />
      {pay.error && <ErrorState className="mb-4" error={pay.error} title="Not marked paid" />}
      <Card className="overflow-hidden">
        {invoices.isPending ? (
          <LoadingState label="Loading invoices" />
        ) : invoices.error ? (
          <QueryError className="m-4" error={invoices.error} onRetry={() => void invoices.refetch()} />
        ) : invoices.data.length === 0 ? (
          <EmptyState icon={Receipt} title={status ? `No ${status} invoices` : "No invoices"} />
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-900/60">
                <tr>
                  <th scope="col" className="px-5 py-3 font-medium">User</th>
                  <th scope="col" className="px-3 py-3 font-medium">Description</th>
                  <th scope="col" className="hidden px-3 py-3 font-medium md:table-cell">Period</th>
                  <th scope="col" className="px-3 py-3 font-medium">Status</th>
                  <th scope="col" className="px-3 py-3 text-right font-medium">Amount</th>
                  <th scope="col" className="px-5 py-3"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {invoices.data.map((inv) => {
                  const email = who(inv.userId);
                  return (
                    <tr key={inv.id} data-testid={`invoice-row-${email}`}>
                      <td className="px-5 py-3 break-all">{email}</td>
                      <td className="px-3 py-3">
                        {inv.description}
                        <span className="block text-xs text-slate-500">issued {formatDate(inv.issuedAt)}</span>
                      </td>
                      <td className="hidden px-3 py-3 whitespace-nowrap text-slate-500 md:table-cell">{formatDate(inv.periodStart)} – {formatDate(inv.periodEnd)}</td>
                      <td className="px-3 py-3">
                        <Badge tone={TONE[inv.status]}>{inv.status}</Badge>
                        {inv.paidAt && <span className="block text-xs text-slate-500">{formatDate(inv.paidAt)}</span>}
                      </td>
                      <td className="px-3 py-3 text-right font-medium whitespace-nowrap">{formatMoney(inv.amountCents, inv.currency)}</td>
                      <td className="px-5 py-3 text-right">
                        {inv.status === "open" && (
                          <Button
                            size="sm"
                            variant="secondary"
                            icon={<CheckCircle2 className="size-4" aria-hidden />}
                            loading={pay.isPending && pay.variables === inv.id}
                            onClick={() => pay.mutate(inv.id, { onSuccess: () => toast({ title: `Invoice of ${email} marked paid`, tone: "success" }) })}
                            aria-label={`Mark the invoice of ${email} paid`}
                          >
                            Mark paid
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
