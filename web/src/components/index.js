// components/index.js — one import point for the shared components.
export * from './ui.jsx';
