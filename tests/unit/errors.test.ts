import { describe, expect, it } from 'vitest';
import { ApiError, formatPath, notFound, validationError } from '../../data-api/src/kernel/errors/index.ts';

describe('error catalogue', () => {
  it('formats zod paths as body.field[index].key', () => {
    expect(formatPath(['body', 'gates', 0, 'id'])).toBe('body.gates[0].id');
    expect(formatPath(['query', 'limit'])).toBe('query.limit');
  });

  it('validation errors carry the contract shape', () => {
    const err = validationError([{ path: 'body.name', message: 'Required' }]);
    expect(err.statusCode).toBe(400);
    expect(err.toBody()).toEqual({
      error: 'validation',
      message: 'body.name: Required',
      issues: [{ path: 'body.name', message: 'Required' }],
    });
  });

  it('maps codes to HTTP statuses', () => {
    expect(notFound('device', 'dev_x').statusCode).toBe(404);
    expect(new ApiError('conflict', 'x').statusCode).toBe(409);
    expect(new ApiError('forbidden', 'x').toBody()).toEqual({ error: 'forbidden', message: 'x' });
  });
});
