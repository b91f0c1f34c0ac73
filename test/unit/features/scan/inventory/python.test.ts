// Python core metadata (METADATA, PKG-INFO) and PEP 503 name normalisation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePythonName, parsePythonMetadata } from '../../../../../src/features/scan/inventory/python.ts';

describe('parsePythonMetadata', () => {
  it('reads Name and Version from the headers, not from the body', () => {
    const text = 'Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\nSummary: YAML parser\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\n\nName: not-this\nVersion: 0\n';
    assert.deepEqual(parsePythonMetadata(Buffer.from(text), 'usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA'), [
      { name: 'pyyaml', version: '6.0', type: 'pypi', location: 'usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA', licenses: ['MIT'] },
    ]);
  });

  it('licenses: License-Expression first; a long License text falls back to classifiers', () => {
    assert.deepEqual(parsePythonMetadata('Name: a\nVersion: 1\nLicense-Expression: Apache-2.0 OR MIT\nLicense: whatever\n', 'x')[0]?.licenses, ['Apache-2.0 OR MIT']);
    const long = 'Name: b\nVersion: 2\nLicense: Copyright (c) someone\n        All rights reserved. Redistribution...\nClassifier: License :: OSI Approved :: BSD License\n';
    assert.deepEqual(parsePythonMetadata(long, 'x')[0]?.licenses, ['BSD License']);
    assert.equal(parsePythonMetadata('Name: c\nVersion: 3\nLicense: UNKNOWN\n', 'x')[0]?.licenses, undefined);
  });

  it('nothing without both Name and Version', () => {
    assert.deepEqual(parsePythonMetadata('Name: a\n', 'x'), []);
    assert.deepEqual(parsePythonMetadata('', 'x'), []);
  });

  it('normalises names per PEP 503', () => {
    assert.equal(normalizePythonName('Foo.Bar__baz-_-Qux'), 'foo-bar-baz-qux');
    assert.equal(normalizePythonName('zope.interface'), 'zope-interface');
    assert.equal(normalizePythonName('requests'), 'requests');
  });
});
