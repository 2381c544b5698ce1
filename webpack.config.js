// SPDX-License-Identifier: Apache-2.0
/**
 * One webpack entry per Lambda handler. A handler is any top-level `.ts` file of a Lambda package
 * that exports `handler`; helpers live in `lib/`, so a new handler file needs no build change.
 * Output: dist/<package>/<file>.js (CommonJS, AWS SDK bundled), zipped by build-s3-dist.sh so that
 * `Handler: <package>/<file>.handler` resolves unchanged.
 */
const path = require('node:path');
const { discoverHandlers } = require('./scripts/handlers');

module.exports = {
  mode: 'production',
  target: 'node20',
  entry: discoverHandlers(),
  output: {
    path: path.join(__dirname, 'dist'),
    filename: '[name].js',
    library: { type: 'commonjs2' },
    clean: true,
    // The SDK loads some modules with dynamic import(); inline them so each bundle is one file
    // and the zips, which hold only <package>/, miss nothing.
    asyncChunks: false,
  },
  resolve: { extensions: ['.ts', '.js', '.json'] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: { loader: 'ts-loader', options: { transpileOnly: true, configFile: 'tsconfig.json' } },
      },
    ],
  },
  // Readable stack traces in CloudWatch matter more than a few hundred kilobytes.
  optimization: { minimize: false },
  devtool: false,
  performance: { hints: false },
  stats: 'errors-warnings',
};
