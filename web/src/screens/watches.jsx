// screens/watches.jsx — placeholder, being written by ui-core.
export const screen = { id: 'watches', route: '/watches', nav: 'nav.watches', public: false, visible: (me) => !!me, Component: ({ t }) => <p>{t('common.soon')}</p> };
