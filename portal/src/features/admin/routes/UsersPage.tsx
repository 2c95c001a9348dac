import { Users } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { EmptyState, LoadingState, QueryError } from "@/components/ui/states";
import { formatDate } from "@/lib/format";
import { useAdminUsers } from "../api/admin";

export default function UsersPage() {
  const users = useAdminUsers();
  return (
    <>
      <PageHeader title="Users" description="Everyone with an account on this platform." />
      <Card className="overflow-hidden">
        {users.isPending ? (
          <LoadingState label="Loading users" />
        ) : users.error ? (
          <QueryError className="m-4" error={users.error} onRetry={() => void users.refetch()} />
        ) : users.data.length === 0 ? (
          <EmptyState icon={Users} title="No users" />
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-900/60">
                <tr>
                  <th scope="col" className="px-5 py-3 font-medium">Name</th>
                  <th scope="col" className="hidden px-3 py-3 font-medium sm:table-cell">E-mail</th>
                  <th scope="col" className="px-3 py-3 font-medium">Role</th>
                  <th scope="col" className="px-5 py-3 font-medium">Joined</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {users.data.map((u) => (
                  <tr key={u.id}>
                    <td className="px-5 py-3">
                      <span className="font-medium">{u.name || "—"}</span>
                      {/* At phone width the e-mail sits under the name instead of in its own column. */}
                      <span className="block text-xs break-all text-slate-500 sm:hidden">{u.email}</span>
                    </td>
                    <td className="hidden px-3 py-3 sm:table-cell">{u.email}</td>
                    <td className="px-3 py-3"><Badge tone={u.role === "admin" ? "violet" : "gray"}>{u.role}</Badge></td>
                    <td className="px-5 py-3 whitespace-nowrap text-slate-500">{formatDate(u.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
