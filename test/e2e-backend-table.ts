// jest setupFilesAfterEnv (see test/support/e2e-backend.ts).
import { useOwnTableOnE2eBackend } from './support/e2e-backend';

useOwnTableOnE2eBackend();
