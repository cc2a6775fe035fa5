import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BlobStore, BlobTooLargeError, defaultBlobDir } from '../../data-api/src/runbooks/blobs.ts';
import { runbookUrl, RunbookCatalog } from '../../data-api/src/runbooks/catalog.ts';
import { sniffFile, sniffImage } from '../../data-api/src/runbooks/sniff.ts';
import { ROOT } from '../helpers/cli.ts';

// Evidence (domain.md): content hash, size, stored blob path; the type comes from the bytes.
const bytes = (...b: number[]) => new Uint8Array(b);
const ascii = (s: string, pad = 0) => new Uint8Array([...Buffer.from(s, 'latin1'), ...new Array(pad).fill(0)]);

describe('content sniffing', () => {
  it('knows the photo formats of phone cameras by their magic bytes', () => {
    expect(sniffImage(bytes(0xff, 0xd8, 0xff, 0xe1, 0, 0))?.contentType).toBe('image/jpeg');
    expect(sniffImage(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))?.contentType).toBe('image/png');
    expect(sniffImage(ascii('RIFF\x10\x00\x00\x00WEBPVP8 '))?.contentType).toBe('image/webp');
    expect(sniffImage(ascii('\x00\x00\x00\x18ftypheic\x00\x00\x00\x00'))?.contentType).toBe('image/heic');
    expect(sniffImage(ascii('\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00'))?.contentType).toBe('image/heif');
    expect(sniffImage(ascii('\x00\x00\x00\x18ftypisom'))).toBeNull(); // an MP4 video
    expect(sniffImage(ascii('GIF89a'))).toBeNull();
    expect(sniffImage(ascii('<svg xmlns="http://www.w3.org/2000/svg">'))).toBeNull();
  });

  it('accepts files on the allow-list only, whatever their name says', () => {
    expect(sniffFile(ascii('%PDF-1.7\n'), 'report.pdf')?.contentType).toBe('application/pdf');
    expect(sniffFile(bytes(0x50, 0x4b, 0x03, 0x04, 0), 'walk.kmz')?.contentType).toBe(
      'application/vnd.google-earth.kmz',
    );
    expect(sniffFile(ascii('point,rssi\nA,-97\n'), 'walk.CSV')?.contentType).toBe('text/csv; charset=utf-8');
    expect(sniffFile(ascii('<?xml version="1.0"?><kml>'), 'walk.kml')?.contentType).toBe(
      'application/vnd.google-earth.kml+xml',
    );
    expect(sniffFile(ascii('{"region": "AS923_1"}'), 'global_conf.json')?.contentType).toBe('application/json');
    expect(sniffFile(ascii('MZ\x90\x00'), 'tool.exe')).toBeNull();
    expect(sniffFile(ascii('MZ\x90\x00', 10), 'tool.txt')).toBeNull(); // binary with a text name
    expect(sniffFile(ascii('<!DOCTYPE html><script>'), 'notes.txt')).toBeNull();
    expect(sniffFile(ascii('<svg onload="x">'), 'drawing.xml')).toBeNull();
    expect(sniffFile(ascii('plain words'), 'script.sh')).toBeNull(); // text, but not an allowed extension
  });
});

describe('the blob folder', () => {
  it('stores bytes under <sha[0:2]>/<sha>, once, and refuses more than the limit without leaving a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-blob-unit-'));
    try {
      const store = new BlobStore(dir);
      const data = Buffer.from('%PDF-1.7 the survey report');
      const one = await store.write(Readable.from([data.subarray(0, 5), data.subarray(5)]), 1000);
      expect(one.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      expect(one.size).toBe(data.length);
      expect(one.relPath).toBe(`${one.sha256.slice(0, 2)}/${one.sha256}`);
      expect(Buffer.from(one.head).toString()).toBe(data.toString());
      one.commit();
      const two = await store.write(Readable.from([data]), 1000);
      two.commit();
      expect(fs.readFileSync(store.resolve(one.relPath))).toEqual(data);
      expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
      await expect(store.write(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000)).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
      expect(() => store.resolve('../../etc/passwd')).toThrow('not a blob path');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lives in FLEETBOOK_BLOB_DIR, else in the data folder', () => {
    expect(defaultBlobDir({ FLEETBOOK_BLOB_DIR: '/srv/blobs' })).toBe('/srv/blobs');
    expect(defaultBlobDir({ FLEETBOOK_DATA_DIR: '/var/lib/fleetbook' })).toBe('/var/lib/fleetbook/blobs');
    expect(defaultBlobDir({})).toBe(path.resolve('.fleetbook/data/blobs'));
  });
});

describe('the runbook catalog the API reads', () => {
  it('reads runbooks/ and docs pages with a runbook kind, with the URLs Docusaurus gives them', () => {
    const catalog = new RunbookCatalog(ROOT);
    const { runbooks, problems } = catalog.scan();
    expect(problems).toEqual([]);
    const ids = runbooks.map((r) => r.id);
    for (const id of [
      'rb-site-survey',
      'rb-lorawan-gateway-install',
      'rb-practice-first-execution',
      'rb-rfid-station-setup',
      'rb-proxmox-vm-cloud-init',
      'rb-pump-ctl-bring-up',
      'tut-basics-1-run-locally',
    ])
      expect(ids).toContain(id);
    expect(catalog.get('rb-lorawan-gateway-install')).toMatchObject({
      url: '/runbooks/rb-lorawan-gateway-install',
      product_code: 'lorawan-gw',
      requires: ['rb-site-survey'],
      version: 3,
    });
    expect(
      catalog
        .tracks()
        .get('fleetbook-basics')!
        .map((s) => s.step),
    ).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('builds URLs from the folder, the id, a slug and number prefixes', () => {
    expect(runbookUrl('runbooks/site-survey.mdx', { id: 'rb-site-survey' })).toBe('/runbooks/rb-site-survey');
    expect(runbookUrl('runbooks/lorawan/01-install.mdx', { id: 'rb-x' })).toBe('/runbooks/lorawan/rb-x');
    expect(runbookUrl('docs/tutorials/02-basics/a.mdx', { id: 'tut-a' })).toBe('/docs/tutorials/basics/tut-a');
    expect(runbookUrl('docs/sops/a.mdx', { id: 'sop-a', slug: '/ops/sop-a' })).toBe('/docs/ops/sop-a');
  });
});
