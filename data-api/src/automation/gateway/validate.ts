// A HAL-equivalent check of a global_conf.json: what Semtech's lora_gateway (SX1301) and
// sx1302_hal would refuse when lora_pkt_fwd starts, with the HAL's own reason, plus what a
// region allows (RP002 and the regulators: bands, EIRP) and what the network server expects
// (ports). configure_gateway runs it on what it renders; `fleetbook gateway check` on any file.
//
// The HAL's rules (lgw_rxif_setconf, lgw_txgain_setconf):
//   - a channel's |IF| + bandwidth/2 must stay within half the radio's RX window. lora_gateway
//     (SX1301): 925 kHz for 125 kHz channels, 1,000 kHz for 250 kHz, 1,100 kHz for 500 kHz;
//     sx1302_hal: 1,600 kHz for all. Beyond: "IF FREQUENCY <if> TOO HIGH" / "TOO LOW".
//   - a TX gain table has 1 to 16 entries; digital gain 0–3, PA gain ≤ 3, SX1257 mixer gain
//     5–15, SX1250 power index ≤ 22.
import type { GatewayRegion } from '../../contracts/actions/configure_gateway.ts';
import { REGION_LIMITS, REGION_PLANS, type RegionLimits } from './regions.ts';
import { sx1250ReferencePower } from './tx-gain.ts';

export type Chip = 'sx1301' | 'sx1302';
export type RegionBand = RegionLimits['name'];

export interface ConfProblem {
  severity: 'error' | 'warning';
  /** Dotted path of the key, e.g. `SX1301_conf.chan_Lora_std.if`. */
  path: string;
  message: string;
  /** 1-based line in the file, when the check ran on a file. */
  line?: number;
}

export interface ConfChannel {
  name: string;
  radio: number;
  freq: number;
  bandwidth: number;
  kind: 'multiSF' | 'LoRa std' | 'FSK';
}

export interface ConfCheck {
  chip: Chip | null;
  region: RegionBand | null;
  regionInferred: boolean;
  channels: ConfChannel[];
  problems: ConfProblem[];
  ok: boolean;
}

export interface CheckOptions {
  /** The region the file is meant for; inferred from the channels when absent. */
  region?: GatewayRegion | RegionBand;
  /** The UDP port the network server listens on; a different port is an error when given, a warning otherwise (1700). */
  port?: number;
  /** Key → line, from parseJsonc. */
  lines?: Map<string, number>;
}

/** lora_gateway's radio RX windows (LGW_RF_RX_BANDWIDTH_*), by channel bandwidth. */
const SX1301_RX_WINDOW: Record<number, number> = { 125_000: 925_000, 250_000: 1_000_000, 500_000: 1_100_000 };
/** sx1302_hal uses one window for every channel bandwidth. */
const SX1302_RX_WINDOW = 1_600_000;
const TX_GAIN_LUT_SIZE_MAX = 16;
const LORA_BANDWIDTHS = [125_000, 250_000, 500_000];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const khz = (hz: number) => `${(hz / 1000).toLocaleString('en-US')} kHz`;
const mhz = (hz: number) => `${(hz / 1e6).toFixed(3).replace(/0+$/, '').replace(/\.$/, '')} MHz`;

export function regionBandOf(region: GatewayRegion | RegionBand): RegionBand {
  return region in REGION_LIMITS ? (region as RegionBand) : REGION_PLANS[region as GatewayRegion].limits.name;
}

type Report = (path: string, message: string) => void;

/** What every section checker shares: the concentrator section, its chip and HAL, and where problems go. */
interface Concentrator {
  section: 'SX130x_conf' | 'SX1301_conf';
  chip: Chip;
  hal: 'sx1302_hal' | 'lora_gateway';
  sx: Obj;
  error: Report;
  warn: Report;
}

interface RadioState {
  enabled: boolean;
  freq: number | null;
  type: string | null;
  tx: boolean;
}

export function checkGlobalConf(conf: unknown, opts: CheckOptions = {}): ConfCheck {
  const problems: ConfProblem[] = [];
  const add = (severity: ConfProblem['severity'], path: string, message: string) => {
    const line = lineOf(opts.lines, path);
    problems.push({ severity, path, message, ...(line !== undefined ? { line } : {}) });
  };
  const error = (path: string, message: string) => add('error', path, message);
  const warn = (path: string, message: string) => add('warning', path, message);
  let channels: ConfChannel[] = [];
  const result = (chip: Chip | null, region: RegionBand | null, regionInferred: boolean): ConfCheck => ({
    chip,
    region,
    regionInferred,
    channels,
    problems,
    ok: !problems.some((p) => p.severity === 'error'),
  });

  if (!isObj(conf)) {
    error('(file)', 'expected a JSON object with an SX130x_conf or SX1301_conf section and a gateway_conf section');
    return result(null, null, false);
  }
  const section = isObj(conf.SX130x_conf) ? 'SX130x_conf' : isObj(conf.SX1301_conf) ? 'SX1301_conf' : null;
  if (!section) {
    error(
      '(file)',
      'no SX130x_conf (sx1302_hal) or SX1301_conf (lora_gateway) section: the packet forwarder cannot configure a concentrator',
    );
    checkGatewayConf(conf, opts, error, warn);
    return result(null, null, false);
  }
  const chip: Chip = section === 'SX130x_conf' ? 'sx1302' : 'sx1301';
  const hal = chip === 'sx1302' ? 'sx1302_hal' : 'lora_gateway';
  const c: Concentrator = { section, chip, hal, sx: conf[section] as Obj, error, warn };

  // Section by section, in this order: the problems come out in file order.
  const radios = checkRadios(c);
  channels = checkChannels(c, radios);
  const { band, inferred } = checkRegion(c, radios, channels, opts);
  checkTxGain(c, radios, band);
  checkClockSource(c, radios);
  checkGatewayConf(conf, opts, error, warn);
  return result(chip, band, inferred && band !== null);
}

/** radio_0 and radio_1: type, centre frequency, TX range; what each RF chain can do, for the later checks. */
function checkRadios(c: Concentrator): RadioState[] {
  const radios = ([0, 1] as const).map((r) => checkRadio(c, r));
  if (!radios.some((r) => r.tx))
    c.warn(
      `${c.section}.radio_0.tx_enable`,
      'no radio has tx_enable: the gateway can receive but never send a downlink (joins fail)',
    );
  return radios;
}

function checkRadio(c: Concentrator, r: 0 | 1): RadioState {
  const { section, chip, hal, sx, error } = c;
  const path = `${section}.radio_${r}`;
  const radio = sx[`radio_${r}`];
  if (!isObj(radio)) {
    error(
      path,
      `radio_${r} is missing: the packet forwarder needs both RF chains described (enable: false to leave one off)`,
    );
    return { enabled: false, freq: null, type: null, tx: false };
  }
  if (typeof radio.enable !== 'boolean') error(`${path}.enable`, 'expected true or false');
  const enabled = radio.enable === true;
  const types = chip === 'sx1302' ? ['SX1250', 'SX1255', 'SX1257'] : ['SX1255', 'SX1257'];
  const type = typeof radio.type === 'string' ? radio.type : null;
  if (enabled && (!type || !types.includes(type))) {
    error(
      `${path}.type`,
      `expected one of ${types.join(', ')} for ${hal} (got ${JSON.stringify(radio.type)}): the HAL refuses an unknown radio type`,
    );
  }
  const freq = isInt(radio.freq) && radio.freq > 0 ? radio.freq : null;
  if (enabled && freq === null) error(`${path}.freq`, 'expected the radio centre frequency in Hz (a whole number)');
  const tx = enabled && radio.tx_enable === true;
  if (enabled && typeof radio.tx_enable !== 'boolean') error(`${path}.tx_enable`, 'expected true or false');
  if (tx) {
    const min = radio.tx_freq_min;
    const max = radio.tx_freq_max;
    if (!isInt(min) || !isInt(max)) error(`${path}.tx_freq_min`, 'a TX radio needs tx_freq_min and tx_freq_max in Hz');
    else if (min >= max) error(`${path}.tx_freq_min`, `tx_freq_min ${mhz(min)} is not below tx_freq_max ${mhz(max)}`);
  }
  return { enabled, freq, type, tx };
}

const CHANNEL_DEFS: Array<{ key: string; kind: ConfChannel['kind'] }> = [
  ...Array.from({ length: 8 }, (_, i) => ({ key: `chan_multiSF_${i}`, kind: 'multiSF' as const })),
  { key: 'chan_Lora_std', kind: 'LoRa std' },
  { key: 'chan_FSK', kind: 'FSK' },
];

/** The IF chains: each enabled one checked against its radio; the channels the gateway hears. */
function checkChannels(c: Concentrator, radios: RadioState[]): ConfChannel[] {
  const channels: ConfChannel[] = [];
  for (const { key, kind } of CHANNEL_DEFS) {
    const channel = checkChannel(c, radios, key, kind);
    if (channel) channels.push(channel);
  }
  if (!channels.length) c.error(c.section, 'no enabled channel: the gateway would hear nothing');
  const seen = new Map<number, string>();
  for (const ch of channels.filter((ch) => ch.kind === 'multiSF')) {
    const other = seen.get(ch.freq);
    if (other)
      c.warn(`${c.section}.${ch.name}`, `${ch.name} listens on ${mhz(ch.freq)} like ${other}: a demodulator is wasted`);
    else seen.set(ch.freq, ch.name);
  }
  return channels;
}

/** One IF chain; null when it is off, refused, or its radio has no frequency. */
function checkChannel(
  c: Concentrator,
  radios: RadioState[],
  key: string,
  kind: ConfChannel['kind'],
): ConfChannel | null {
  const { section, chip, hal, sx, error } = c;
  const path = `${section}.${key}`;
  const ch = sx[key];
  if (ch === undefined) return null; // absent = disabled (the packet forwarder skips it)
  if (!isObj(ch)) {
    error(path, 'expected an object { enable, radio, if, … }');
    return null;
  }
  if (ch.enable !== true) return null;
  if (ch.radio !== 0 && ch.radio !== 1) {
    error(`${path}.radio`, `expected 0 or 1 (got ${JSON.stringify(ch.radio)})`);
    return null;
  }
  if (!isInt(ch.if)) {
    error(`${path}.if`, 'expected the IF offset from the radio centre in Hz (a whole number)');
    return null;
  }
  const bandwidth = channelBandwidth(c, path, kind, ch);
  if (bandwidth === null) return null;
  const radio = radios[ch.radio]!;
  if (!radio.enabled) {
    error(
      `${path}.radio`,
      `${key} is on radio ${ch.radio}, which is disabled: the HAL cannot attach an IF chain to a disabled RF chain`,
    );
    return null;
  }
  // The HAL's window (lgw_rxif_setconf).
  const window = chip === 'sx1302' ? SX1302_RX_WINDOW : (SX1301_RX_WINDOW[bandwidth] ?? SX1301_RX_WINDOW[125_000]!);
  const reach = Math.abs(ch.if) + bandwidth / 2;
  if (reach > window / 2) {
    error(
      `${path}.if`,
      `IF FREQUENCY ${ch.if} TOO ${ch.if > 0 ? 'HIGH' : 'LOW'} (${hal} refuses it and lora_pkt_fwd exits): |if| + bandwidth/2 = ` +
        `${khz(reach)} is beyond ${khz(window / 2)}, half the radio's ${khz(window)} RX window` +
        (chip === 'sx1301'
          ? ` for ${khz(bandwidth)} channels; keep |if| ≤ ${khz(window / 2 - bandwidth / 2)}`
          : `; keep |if| ≤ ${khz(window / 2 - bandwidth / 2)}`),
    );
  }
  return radio.freq !== null ? { name: key, radio: ch.radio, freq: radio.freq + ch.if, bandwidth, kind } : null;
}

/** The channel's bandwidth (multiSF: always 125 kHz), its modulation settings checked; null when refused. */
function channelBandwidth(c: Concentrator, path: string, kind: ConfChannel['kind'], ch: Obj): number | null {
  const { chip, error } = c;
  if (kind === 'LoRa std') {
    if (!LORA_BANDWIDTHS.includes(ch.bandwidth as number)) {
      error(`${path}.bandwidth`, `expected 125000, 250000 or 500000 (got ${JSON.stringify(ch.bandwidth)})`);
      return null;
    }
    const sfMin = chip === 'sx1302' ? 5 : 7;
    if (!isInt(ch.spread_factor) || ch.spread_factor < sfMin || ch.spread_factor > 12) {
      error(
        `${path}.spread_factor`,
        `expected a spreading factor ${sfMin}–12 (got ${JSON.stringify(ch.spread_factor)})`,
      );
    }
    return ch.bandwidth as number;
  }
  if (kind === 'FSK') {
    if (!isInt(ch.bandwidth) || ch.bandwidth <= 0 || ch.bandwidth > 500_000) {
      error(
        `${path}.bandwidth`,
        `expected the FSK bandwidth in Hz, at most 500000 (got ${JSON.stringify(ch.bandwidth)})`,
      );
      return null;
    }
    if (!isInt(ch.datarate) || ch.datarate < 500 || ch.datarate > 250_000) {
      error(`${path}.datarate`, `expected an FSK datarate of 500–250000 bit/s (got ${JSON.stringify(ch.datarate)})`);
    }
    return ch.bandwidth;
  }
  return 125_000;
}

/** The region named, or inferred from the channels; radios, channels and TX ranges must stay in its bands. */
function checkRegion(
  c: Concentrator,
  radios: RadioState[],
  channels: ConfChannel[],
  opts: CheckOptions,
): { band: RegionBand | null; inferred: boolean } {
  const { section, sx, error } = c;
  let band: RegionBand | null = opts.region ? regionBandOf(opts.region) : null;
  const inferred = !band;
  if (!band) band = inferBand(channels);
  if (!band) {
    c.warn(section, 'the channels fit no known region (EU868, US915, AS923): region checks skipped; pass --region');
    return { band, inferred };
  }
  const limits = REGION_LIMITS[band];
  const inBand = (lo: number, hi: number, b: { min: number; max: number }) => lo >= b.min && hi <= b.max;
  radios.forEach((r, i) => {
    if (r.enabled && r.freq !== null && !inBand(r.freq, r.freq, limits.band)) {
      error(
        `${section}.radio_${i}.freq`,
        `radio ${i} is centred on ${mhz(r.freq)}, outside ${band}'s ${mhz(limits.band.min)}–${mhz(limits.band.max)}`,
      );
    }
  });
  for (const ch of channels) {
    if (!inBand(ch.freq - ch.bandwidth / 2, ch.freq + ch.bandwidth / 2, limits.band)) {
      error(
        `${section}.${ch.name}.if`,
        `${ch.name} on ${mhz(ch.freq)} (${khz(ch.bandwidth)} wide) is outside ${band}'s ${mhz(limits.band.min)}–${mhz(limits.band.max)}`,
      );
    }
  }
  radios.forEach((r, i) => {
    const radio = sx[`radio_${i}`] as Obj;
    if (
      r.tx &&
      isInt(radio.tx_freq_min) &&
      isInt(radio.tx_freq_max) &&
      !inBand(radio.tx_freq_min, radio.tx_freq_max, limits.txBand)
    ) {
      error(
        `${section}.radio_${i}.tx_freq_min`,
        `TX range ${mhz(radio.tx_freq_min)}–${mhz(radio.tx_freq_max)} leaves ${band}'s downlink band ${mhz(limits.txBand.min)}–${mhz(limits.txBand.max)}`,
      );
    }
  });
  return { band, inferred };
}

/** What a TX gain table is checked against: the chip's HAL, the radio type, the region's EIRP. */
interface TxGainContext {
  c: Concentrator;
  radioType: string | null;
  limit: RegionLimits | null;
  antennaGain: number;
}

/** sx1302_hal: one tx_gain_lut per TX radio; lora_gateway: tx_lut_N entries for the board. */
function checkTxGain(c: Concentrator, radios: RadioState[], band: RegionBand | null): void {
  const { section, chip, sx, error, warn } = c;
  const antennaGain = typeof sx.antenna_gain === 'number' ? sx.antenna_gain : 0;
  const limit = band ? REGION_LIMITS[band] : null;
  if (chip === 'sx1302') {
    radios.forEach((r, i) => {
      if (!r.tx) return;
      const path = `${section}.radio_${i}.tx_gain_lut`;
      const lut = (sx[`radio_${i}`] as Obj).tx_gain_lut;
      if (!Array.isArray(lut))
        return error(
          path,
          'a TX radio needs a tx_gain_lut: without one lgw_txgain_setconf fails and the packet forwarder exits',
        );
      checkTxGainTable(
        { c, radioType: r.type, limit, antennaGain },
        path,
        lut.map((e, k) => ({ path: `${path}[${k}]`, e: isObj(e) ? e : {} })),
      );
    });
  } else {
    const entries = Object.keys(sx)
      .filter((k) => /^tx_lut_\d+$/.test(k))
      .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)))
      .map((k) => ({ path: `${section}.${k}`, e: isObj(sx[k]) ? (sx[k] as Obj) : {} }));
    if (entries.length) {
      const radioType = radios.find((r) => r.tx)?.type ?? 'SX1257';
      checkTxGainTable({ c, radioType, limit, antennaGain }, `${section}.tx_lut_0`, entries);
    } else
      warn(
        `${section}.tx_lut_0`,
        "no tx_lut_N entries: lora_gateway falls back to its built-in table, which is not calibrated for this board's PA",
      );
  }
}

/** The HAL's lgw_txgain_setconf rules, then what each entry would really send. */
function checkTxGainTable(t: TxGainContext, path: string, entries: Array<{ path: string; e: Obj }>): void {
  const { hal, error } = t.c;
  if (entries.length < 1 || entries.length > TX_GAIN_LUT_SIZE_MAX) {
    error(
      path,
      `TX gain LUT must have at least one entry and maximum ${TX_GAIN_LUT_SIZE_MAX} entries (${hal}; this one has ${entries.length})`,
    );
  }
  let previous: number | null = null;
  for (const { path: p, e } of entries) {
    if (!isInt(e.rf_power)) {
      error(`${p}.rf_power`, 'expected the output power in dBm (a whole number)');
      continue;
    }
    checkTxGainSettings(t, p, e);
    if (previous !== null && e.rf_power <= previous) {
      error(
        `${p}.rf_power`,
        `rf_power ${e.rf_power} dBm after ${previous} dBm: the table must rise monotonically (the packet forwarder picks the highest entry not above the requested power)`,
      );
    }
    previous = e.rf_power;
    checkTxGainPower(t, p, e as Obj & { rf_power: number });
  }
}

/** The gain registers' ranges (digital, PA, mixer or SX1250 power index), as the HAL checks them. */
function checkTxGainSettings({ c, radioType }: TxGainContext, p: string, e: Obj): void {
  const { chip, error } = c;
  const gain = (k: string, max: number, what: string, min = 0) => {
    if (e[k] === undefined) return;
    if (!isInt(e[k]) || (e[k] as number) < min || (e[k] as number) > max)
      error(`${p}.${k}`, `TX gain LUT: ${what} (got ${JSON.stringify(e[k])})`);
  };
  gain('dig_gain', 3, `${chip === 'sx1302' ? 'SX1302' : 'SX1301'} digital gain must be between 0 and 3`);
  gain('pa_gain', 3, 'External PA gain must not exceed 3');
  if (radioType === 'SX1250') {
    gain('pwr_idx', 22, 'SX1250 power index must not exceed 22');
    if (e.pwr_idx === undefined) error(`${p}.pwr_idx`, 'an SX1250 table entry needs pwr_idx (0–22)');
  } else {
    gain('mix_gain', 15, 'SX1257 mixer gain must be between [5..15]', 5);
    if (chip === 'sx1301' && e.mix_gain === undefined)
      error(`${p}.mix_gain`, 'an SX1257 table entry needs mix_gain (5–15)');
  }
}

/** An entry's power: within the region's EIRP, and (SX1250) what Semtech's table says those settings really send. */
function checkTxGainPower(
  { c, radioType, limit, antennaGain }: TxGainContext,
  p: string,
  e: Obj & { rf_power: number },
): void {
  const { error, warn } = c;
  // Above the limit is legal only where a country allows more: the entry is never used while the
  // network server keeps to the region's power, so it is a warning (fleetbook's tables stop at the limit).
  if (limit && e.rf_power + antennaGain > limit.maxEirpDbm) {
    warn(
      `${p}.rf_power`,
      `${e.rf_power} dBm + antenna_gain ${antennaGain} dBi is above ${limit.name}'s ${limit.maxEirpDbm} dBm EIRP (${limit.why})`,
    );
  }
  if (radioType !== 'SX1250' || !isInt(e.pa_gain) || !isInt(e.pwr_idx)) return;
  const measured = sx1250ReferencePower(e.pa_gain, e.pwr_idx);
  if (measured !== undefined && measured - e.rf_power >= 3) {
    error(
      `${p}.rf_power`,
      `claims ${e.rf_power} dBm, but Semtech's SX1250 table gives ${measured} dBm for pa_gain ${e.pa_gain} / pwr_idx ${e.pwr_idx}: the radio would send ${measured - e.rf_power} dB more than the network server asked for` +
        (limit && measured + antennaGain > limit.maxEirpDbm ? `, above ${limit.name}'s ${limit.maxEirpDbm} dBm` : ''),
    );
  } else if (measured !== undefined && e.rf_power - measured >= 3) {
    warn(
      `${p}.rf_power`,
      `claims ${e.rf_power} dBm, but Semtech's SX1250 table gives ${measured} dBm for pa_gain ${e.pa_gain} / pwr_idx ${e.pwr_idx}: downlinks would be ${e.rf_power - measured} dB weaker than planned`,
    );
  }
}

/** SX1301: the clock comes from one radio (clksrc), which must be on. */
function checkClockSource(c: Concentrator, radios: RadioState[]): void {
  const { section, chip, sx } = c;
  if (chip === 'sx1301' && (sx.clksrc === 0 || sx.clksrc === 1) && !radios[sx.clksrc]?.enabled) {
    c.error(
      `${section}.clksrc`,
      `clksrc ${sx.clksrc} names radio ${sx.clksrc}, which is disabled: the SX1301 would have no clock`,
    );
  }
}

function checkGatewayConf(
  conf: Obj,
  opts: CheckOptions,
  error: (p: string, m: string) => void,
  warn: (p: string, m: string) => void,
): void {
  const gw = conf.gateway_conf;
  if (!isObj(gw))
    return error('gateway_conf', 'gateway_conf is missing: the packet forwarder has no server to send to');
  if (gw.gateway_ID !== undefined && (typeof gw.gateway_ID !== 'string' || !/^[0-9A-Fa-f]{16}$/.test(gw.gateway_ID))) {
    error(
      'gateway_conf.gateway_ID',
      `expected the gateway EUI as 16 hex digits (got ${JSON.stringify(gw.gateway_ID)})`,
    );
  }
  if (gw.server_address !== undefined && (typeof gw.server_address !== 'string' || !gw.server_address.trim())) {
    error('gateway_conf.server_address', 'expected the network server host name or address');
  }
  const expected = opts.port ?? 1700;
  for (const key of ['serv_port_up', 'serv_port_down'] as const) {
    const port = gw[key];
    if (port === undefined) continue;
    if (!isInt(port) || port < 1 || port > 65535)
      error(`gateway_conf.${key}`, `expected a UDP port 1–65535 (got ${JSON.stringify(port)})`);
    else if (port !== expected) {
      const message = `UDP port ${port}, but the ChirpStack gateway bridge listens on ${expected}${opts.port ? '' : ' (its default)'}: uplinks would go nowhere`;
      if (opts.port) error(`gateway_conf.${key}`, message);
      else warn(`gateway_conf.${key}`, message);
    }
  }
}

/** EU868 when every channel is in 863–870 MHz; AS923 when all are in 915–928 MHz; US915 (whose uplinks end at 914.9 MHz) otherwise. */
function inferBand(channels: ConfChannel[]): RegionBand | null {
  if (!channels.length) return null;
  const within = (b: { min: number; max: number }) => channels.every((c) => c.freq >= b.min && c.freq <= b.max);
  if (within(REGION_LIMITS.EU868.band)) return 'EU868';
  if (within(REGION_LIMITS.AS923.band)) return 'AS923';
  if (within(REGION_LIMITS.US915.band)) return 'US915';
  return null;
}

function lineOf(lines: Map<string, number> | undefined, path: string): number | undefined {
  if (!lines) return undefined;
  for (let p = path; p; p = p.replace(/(\.[^.[\]]+|\[\d+\])$/, '')) {
    const line = lines.get(p);
    if (line !== undefined) return line;
    if (!/[.[]/.test(p)) break;
  }
  return undefined;
}

/** One line per problem: `error  line 74  SX1301_conf.chan_Lora_std.if: IF FREQUENCY …`. */
export function formatProblems(problems: ConfProblem[], file?: string): string[] {
  return problems.map((p) =>
    `${p.severity === 'error' ? 'error  ' : 'warning'} ${file ? `${file}:${p.line ?? '?'}` : p.line !== undefined ? `line ${p.line}` : ''} ${p.path}: ${p.message}`.replace(
      / {2,}/g,
      ' ',
    ),
  );
}
