/** Risk levels, lowest first. */
export const RISK_LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

export type RiskLevel = (typeof RISK_LEVELS)[number];

const rank = (level: RiskLevel): number => RISK_LEVELS.indexOf(level);

/** The higher of two levels. */
export const maxLevel = (a: RiskLevel, b: RiskLevel): RiskLevel => (rank(a) >= rank(b) ? a : b);

/** One level up, capped at CRITICAL. */
export const raiseLevel = (level: RiskLevel): RiskLevel => RISK_LEVELS[Math.min(rank(level) + 1, RISK_LEVELS.length - 1)]!;

/** True when `level` is `threshold` or above. */
export const atLeast = (level: RiskLevel, threshold: RiskLevel): boolean => rank(level) >= rank(threshold);

export const isRiskLevel = (value: string): value is RiskLevel => (RISK_LEVELS as readonly string[]).includes(value);
