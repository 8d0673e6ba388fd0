export declare const SOURCE_DIR: string;
export declare const STAMP_FILE: string;
export declare function newestSource(root: string): { files: string[]; newestMtimeMs: number };
export declare function buildIsFresh(root: string): boolean;
