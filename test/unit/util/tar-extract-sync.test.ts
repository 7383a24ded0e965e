/** The extraction tests again, with extractTar's synchronous file-system calls (sync: true). */
process.env.BERTH_TAR_SYNC = '1';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./tar-extract.test');
