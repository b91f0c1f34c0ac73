import { S3Driver } from '../../src/storage/s3.ts';
import { s3TestOptions } from '../helpers/s3.ts';
import { storageDriverContract } from './storage-driver.suite.ts';

storageDriverContract('s3 (Ceph radosgw)', async () => ({ driver: new S3Driver({ ...(await s3TestOptions()), bucket: 'berth-contract' }), cleanup: async () => {} }));
