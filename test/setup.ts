// Test setup: property tests draw from one fixed seed unless TG_PROPERTY_SEED says otherwise, so a
// CI result is reproducible; TG_PROPERTY_SEED=random explores fresh cases (run it locally often).
import fc from 'fast-check';

const seed = process.env.TG_PROPERTY_SEED ?? '20261126';
if (seed !== 'random') fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) });
