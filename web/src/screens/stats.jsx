// screens/stats.jsx — placeholder; ui-admin owns this file and replaces it.
export const screen = { id: 'stats', route: '/stats', nav: 'nav.stats', public: true, visible: (me) => true, Component: ({ t }) => <p>{t('common.soon')}</p> };
