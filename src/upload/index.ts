/**
 * scim-inbound's CSV uploader as a library: read a CSV file, turn its rows into SCIM users
 * with a mapping, and upload them to a bulkUpload endpoint in ordered, resumable batches.
 *
 *   import { loadMappingFile, uploadCsv, staticToken } from 'scim-inbound/upload'
 *   const mapping = await loadMappingFile('mapping.json')
 *   const result = await uploadCsv({ csvPath: 'workers.csv', mapping, url, tokens: staticToken(token), wait: true })
 */
export { openCsv, detectDelimiter, CsvFileError, type CsvFile, type CsvRow, type CsvReadOptions } from './csv-reader.js'
export {
  loadMappingFile, parseMapping, MappingError,
  type Mapping, type MappingFile, type ValueSpec, type AttributeMapping, type ValueSource, type Scalar
} from './mapping-file.js'
export { parseTargetPath, TargetPathError, type TargetPath } from './target-path.js'
export { compileMapping, type RowConverter, type RowResult, type ScimUserData } from './csv-to-scim.js'
export type { RowProblem } from './row-validation.js'
export { checkFile, type FileCheck } from './check-file.js'
export { batchesOf, bulkIdOf, rowOfBulkId, bulkOperation, bulkRequest, type Batch, type ValidRow } from './bulk-request.js'
export { sendBatches, BatchRefused, type UploaderOptions, type UploadOutcome } from './uploader.js'
export { Checkpoint, CheckpointError, type AcceptedRequest, type UploadFingerprint } from './checkpoint.js'
export { ResultFollower, type OperationResult, type FollowOptions } from './wait-for-results.js'
export { ResultSummary, ReportWriter, REPORT_COLUMNS } from './report.js'
export { staticToken, clientCredentialsToken, TokenError, type TokenProvider, type ClientCredentials } from './token-provider.js'
export { callService, RetryGate, ServiceError, Interrupted, retryAfterMs, type CallOptions, type RetryEvent } from './service-call.js'
export {
  uploadCsv, defaultCheckpointPath, DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY,
  type UploadCsvOptions, type UploadCsvResult
} from './upload-csv.js'
export { previewRequests } from './preview.js'
export { initMapping, starterMapping, CSV_EXTENSION_URN, type StarterMapping } from './init-mapping.js'
export { declareExtensionAttributes, extensionSample, jobUrlOf, type DeclaredAttribute } from './schema-update.js'
export { showProgress, type ProgressCounters, type ProgressView } from './progress.js'
export { CORE_USER_URN, ENTERPRISE_USER_URN, type ValueType } from './scim-attributes.js'
