/**
 * Cache-Control per kind of response. Company data changes only when a pipeline run persists, so a short
 * private cache is safe; run progress changes while a run is going, so it is always revalidated; errors
 * and health are never cached. `private` because with API_KEY set the answers are per caller.
 */
export const noStore = "no-store"
export const companyData = "private, max-age=30"
export const companyExport = "private, no-cache"
export const runProgress = "private, no-cache"
export const rejectedRows = "private, max-age=60"
export const apiDocument = "private, max-age=300"
/** The docs bundle never changes for a given build of the server. */
export const staticAsset = "public, max-age=86400"
