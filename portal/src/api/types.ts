// Names for the generated schemas the UI uses. Aliases only: every shape comes from
// schema.d.ts, generated from the API's OpenAPI document.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Tenant = Schemas["Tenant"];
export type TenantList = Schemas["TenantList"];
export type TenantSpec = Schemas["TenantSpec"];
export type TenantStatus = NonNullable<Tenant["status"]>;
export type Phase = NonNullable<TenantStatus["phase"]>;
export type Condition = Schemas["Condition"];
export type TenantEvent = Schemas["TenantEvent"];
export type TenantCreateRequest = Schemas["TenantCreateRequest"];
export type CreatedTenant = Schemas["CreatedTenant"];
export type Resources = Schemas["Resources"];
export type User = Schemas["User"];
export type AdminUser = Schemas["AdminUser"];
export type UserPatch = Schemas["UserPatch"];
export type AuditEntry = Schemas["AuditEntry"];
export type AccessToken = Schemas["AccessToken"];
export type TokenScope = Schemas["TokenScope"];
export type TokenRequest = Schemas["TokenRequest"];
export type ScaleRequest = Schemas["ScaleRequest"];
export type WatchEventSchema = Schemas["WatchEvent"];
export type CreatedToken = Schemas["CreatedToken"];
export type Plan = Schemas["Plan"];
export type Region = Schemas["Region"];
export type SubscriptionView = Schemas["SubscriptionView"];
export type Subscription = Schemas["Subscription"];
export type Invoice = Schemas["Invoice"];
export type InvoiceStatus = Schemas["InvoiceStatus"];
export type Announcement = Schemas["Announcement"];
export type AnnouncementInput = Schemas["AnnouncementInput"];
export type MaintenanceWindow = Schemas["MaintenanceWindow"];
export type MaintenanceWindowInput = Schemas["MaintenanceWindowInput"];
export type MaintenanceStatus = Schemas["MaintenanceStatus"];
export type MetricsSummary = Schemas["MetricsSummary"];
export type TenantMetrics = Schemas["TenantMetrics"];
export type MetricsHistory = Schemas["MetricsHistory"];
export type MetricsPoint = Schemas["MetricsPoint"];
export type Cluster = Schemas["Cluster"];
export type ClusterNode = Schemas["ClusterNode"];
export type ApplyResults = Schemas["ApplyResults"];
export type ApplyResult = Schemas["ApplyResult"];
export type Rollout = Schemas["Rollout"];
export type RolloutSpec = Schemas["NewRollout"];
export type RolloutItem = Schemas["RolloutItem"];
