// What the operator says of a back-end server, apart from its health (HAProxy's ready, drain and
// maint): `drain` takes no new clients but keeps its persistent ones; `maint` takes no request at
// all, as if it were down.
export type AdminState = 'ready' | 'drain' | 'maint';
export const ADMIN_STATES: readonly AdminState[] = ['ready', 'drain', 'maint'];
