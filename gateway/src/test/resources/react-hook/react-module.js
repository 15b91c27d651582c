// The "react" module the hook imports, as a bundler would resolve it: React's UMD build (window.React) as an ES module.
const React = window.React;
export default React;
export const { createElement, useCallback, useEffect, useRef, useState, StrictMode } = React;
