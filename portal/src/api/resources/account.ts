// Account-wide resources more than one feature reads: plans, the subscription, notices.
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { keys } from "../keys";

export const plansQuery = queryOptions({
  queryKey: keys.plans,
  queryFn: () => unwrap(api.GET("/plans")),
  staleTime: 5 * 60_000,
});

/** The WordPress images a site may run (`spec.image`); administrators may name others. */
export const imagesQuery = queryOptions({
  queryKey: keys.images,
  queryFn: () => unwrap(api.GET("/images")),
  staleTime: 5 * 60_000,
});

/** The regions sites may be created in, with their nodes (a region without an active node
 * leaves a new site waiting). */
export const regionsQuery = queryOptions({
  queryKey: keys.regions,
  queryFn: () => unwrap(api.GET("/regions")),
  staleTime: 30_000,
});

export const subscriptionQuery = queryOptions({
  queryKey: keys.subscription,
  queryFn: () => unwrap(api.GET("/subscription")),
});

export const announcementsQuery = queryOptions({
  queryKey: keys.announcements,
  queryFn: () => unwrap(api.GET("/announcements")),
  refetchInterval: 60_000,
});

export const usePlans = () => useQuery(plansQuery);
export const useImages = () => useQuery(imagesQuery);
export const useRegions = () => useQuery(regionsQuery);
export const useSubscription = () => useQuery(subscriptionQuery);
export const useAnnouncements = () => useQuery(announcementsQuery);
