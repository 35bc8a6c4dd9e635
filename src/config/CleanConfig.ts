import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"

export const MissingEmployeeCountPolicies = ["reject", "keep"] as const
export type MissingEmployeeCountPolicy = (typeof MissingEmployeeCountPolicies)[number]

/** How clean treats rows: `keep` accepts a company whose list gives no head count (segment Unknown). */
export const CleanConfig = Config.all({
  missingEmployeeCount: ConfigValue.literal("MISSING_EMPLOYEE_COUNT", MissingEmployeeCountPolicies, "reject")
})

export type CleanSettings = Config.Config.Success<typeof CleanConfig>

export const defaultCleanSettings: CleanSettings = { missingEmployeeCount: "reject" }
