// TX gain tables from Semtech's reference configurations (the fixtures under
// tests/fixtures/peers/semtech-* are the originals; the golden tests compare entry by entry).
// A table is written up to the region's power limit: the packet forwarder then never finds an
// entry above it, whatever the network server asks for.

export interface Sx1250GainEntry {
  rf_power: number;
  pa_gain: 0 | 1;
  pwr_idx: number;
}

export interface Sx1257GainEntry {
  pa_gain: number;
  mix_gain: number;
  rf_power: number;
  dig_gain: number;
}

/**
 * sx1302_hal's SX1250 table (global_conf.json.sx1250.EU868 / .US915, SPI Corecell): the internal
 * PA off (pa_gain 0) with power index 15…22 for 12–17 dBm, then the PA on (pa_gain 1).
 */
export const SX1250_TX_GAIN_LUT: readonly Sx1250GainEntry[] = (
  [
    [12, 0, 15],
    [13, 0, 16],
    [14, 0, 17],
    [15, 0, 19],
    [16, 0, 20],
    [17, 0, 22],
    [18, 1, 1],
    [19, 1, 2],
    [20, 1, 3],
    [21, 1, 4],
    [22, 1, 5],
    [23, 1, 6],
    [24, 1, 7],
    [25, 1, 9],
    [26, 1, 11],
    [27, 1, 14],
  ] as const
).map(([rf_power, pa_gain, pwr_idx]) => ({ rf_power, pa_gain, pwr_idx }));

/** packet_forwarder's global_conf.json (SX1301 + SX1257 reference design): tx_lut_0 … tx_lut_15. */
export const SX1257_TX_LUT: readonly Sx1257GainEntry[] = (
  [
    [0, 8, -6],
    [0, 10, -3],
    [0, 12, 0],
    [1, 8, 3],
    [1, 10, 6],
    [1, 12, 10],
    [1, 13, 11],
    [2, 9, 12],
    [1, 15, 13],
    [2, 10, 14],
    [2, 11, 16],
    [3, 9, 20],
    [3, 10, 23],
    [3, 11, 25],
    [3, 12, 26],
    [3, 14, 27],
  ] as const
).map(([pa_gain, mix_gain, rf_power]) => ({ pa_gain, mix_gain, rf_power, dig_gain: 0 }));

/** The entries a region may use: rf_power + antenna gain within its EIRP limit. */
export function gainTableFor<T extends { rf_power: number }>(
  table: readonly T[],
  maxEirpDbm: number,
  antennaGainDbi = 0,
): T[] {
  return table.filter((e) => e.rf_power + antennaGainDbi <= maxEirpDbm);
}

/**
 * What Semtech's SX1250 reference measured for a gain setting (dBm), or undefined when the
 * table has no such setting. The validator compares a table's claims with it.
 */
export function sx1250ReferencePower(paGain: number, pwrIdx: number): number | undefined {
  return SX1250_TX_GAIN_LUT.find((e) => e.pa_gain === paGain && e.pwr_idx === pwrIdx)?.rf_power;
}
