// Oblivious shuffle and routing of secret-shared rows (docs/cipherprune.md).
export { route, routeCost, routeCostSteps, routeTwin, routeOrder, splitOrder, masksPerRow, checkRoute, identityRoute, isTrivialRoute, outRows, type RouteMode, type RouteOptions, type RouteParams } from './route.ts';
export { Layout, toWords, fromWords, wordsPerRow, type BlockSpec } from './layout.ts';
export { randomPermutation, invert, isPermutation } from './perm.ts';
